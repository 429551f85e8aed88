import { sql, type Kysely } from 'kysely';

/**
 * The DynDNS2 update's write as one function (issue 16): the API calls `ddns_apply_update` once per update
 * with bound parameters, instead of a multi-statement batch with values inlined as literals. One round trip,
 * one implicit transaction; the plans of its statements are cached per connection.
 *
 * In order: lock the domains written (id order: concurrent updates of one domain serialise here), the
 * update-log row (with a health check: its ping in the same step), then the record and domain writes, last,
 * so that the zone row the change-feed trigger locks is held only from the first write to the commit. The
 * writes are ordinary INSERT/UPDATE/DELETE statements on `records` and `domains`: the change-feed triggers
 * (migration 0001) fire for each row exactly as for any other writer.
 *
 * A volatile PL/pgSQL function takes a new snapshot per statement, so each write re-reads what it changes
 * after the locks: the end state is right even when a concurrent update committed after the API's read.
 * The log rows of concurrent updates of a domain are inserted in lock order, so the last one names the
 * address that stays.
 *
 * The writes come as parallel arrays, one element per operation (dyndns2/plan.ts's WriteOp):
 * - `address`: make the records of (zone, name, type) without a host part exactly one, with `content`,
 *   from what is there after the lock (so of two concurrent updates of one host the later one's address
 *   stays, even when the earlier one created the record after the later one read);
 * - `prefixRecord`: record `record` gets `content` while its host part is still `host_part`;
 * - `domainPrefix`: domain `domain` gets the LAN prefix `content`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION ddns_apply_update(
      p_lock_domain_ids integer[],
      p_account_id integer, p_domain_id integer, p_source_ip text, p_user_agent text, p_hosts text,
      p_result text, p_detail text,
      p_healthcheck_account_id integer, p_healthcheck_token_hash text,
      p_op_kind text[], p_op_zone integer[], p_op_domain integer[], p_op_name text[], p_op_type text[],
      p_op_content text[], p_op_record integer[], p_op_host_part text[],
      p_record_ttl integer
    ) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      v_detail text := p_detail;
      v_ids integer[];
      i integer;
    BEGIN
      IF cardinality(p_lock_domain_ids) > 0 THEN
        PERFORM 1 FROM domains WHERE id = ANY(p_lock_domain_ids) ORDER BY id FOR UPDATE;
      END IF;

      IF p_healthcheck_token_hash IS NOT NULL THEN
        -- as recordHealthPing (@ddns/jobs): a new check becomes up; a down check stays down until the sweep
        -- sees this ping, moves it up and sends the one recovery e-mail
        UPDATE health_checks SET last_ping_at = now(),
          state = CASE WHEN state = 'new' THEN 'up' ELSE state END,
          state_changed_at = CASE WHEN state = 'new' THEN now() ELSE state_changed_at END
        WHERE ping_token_hash = p_healthcheck_token_hash AND account_id = p_healthcheck_account_id;
        v_detail := coalesce(p_detail || ' ', '')
          || CASE WHEN FOUND THEN 'healthcheck pinged' ELSE 'healthcheck unknown' END;
      END IF;
      INSERT INTO update_log (account_id, domain_id, source_ip, user_agent, hosts, result, detail)
        VALUES (p_account_id, p_domain_id, p_source_ip, p_user_agent, p_hosts, p_result, v_detail);

      FOR i IN 1 .. coalesce(cardinality(p_op_kind), 0) LOOP
        CASE p_op_kind[i]
        WHEN 'address' THEN
          -- whatever the API read, the records there now (after the lock) decide: keep one (one that
          -- already has the address, else the oldest), give it the address, drop the others; none: create it
          SELECT array_agg(id ORDER BY (content = p_op_content[i]) DESC, id) INTO v_ids
            FROM records
            WHERE zone_id = p_op_zone[i] AND name = p_op_name[i] AND type = p_op_type[i]
              AND ipv6_host_part IS NULL;
          IF v_ids IS NULL THEN
            INSERT INTO records (zone_id, domain_id, name, type, content, ttl)
              VALUES (p_op_zone[i], p_op_domain[i], p_op_name[i], p_op_type[i], p_op_content[i], p_record_ttl)
              ON CONFLICT DO NOTHING;
          ELSE
            UPDATE records SET content = p_op_content[i], updated_at = now()
              WHERE id = v_ids[1] AND content <> p_op_content[i];
            IF cardinality(v_ids) > 1 THEN
              DELETE FROM records WHERE id = ANY(v_ids[2:]);
            END IF;
          END IF;
        WHEN 'prefixRecord' THEN
          UPDATE records SET content = p_op_content[i], updated_at = now()
            WHERE id = p_op_record[i] AND ipv6_host_part = p_op_host_part[i];
        WHEN 'domainPrefix' THEN
          UPDATE domains SET ipv6_prefix = p_op_content[i], updated_at = now() WHERE id = p_op_domain[i];
        ELSE
          RAISE EXCEPTION 'ddns_apply_update: unknown operation %', p_op_kind[i];
        END CASE;
      END LOOP;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS ddns_apply_update`.execute(db);
}

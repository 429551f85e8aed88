import { sql, type Kysely } from 'kysely';

/**
 * - A change of a zone's SOA fields now bumps its serial too (before, secondaries only saw it with the next
 *   record change), and a zone rename is logged under both names.
 * - Indexes for look-ups that grow with the data: reclamation tokens, outbox jobs by id prefix.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION ddns_zones_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (OLD.id, OLD.name, OLD.name, 'zones', 'DELETE');
      ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'INSERT');
      ELSIF (NEW.name, NEW.primary_ns, NEW.hostmaster, NEW.refresh, NEW.retry, NEW.expire, NEW.minimum, NEW.ttl, NEW.kind)
          IS DISTINCT FROM (OLD.name, OLD.primary_ns, OLD.hostmaster, OLD.refresh, OLD.retry, OLD.expire, OLD.minimum, OLD.ttl, OLD.kind) THEN
        IF NEW.name IS DISTINCT FROM OLD.name THEN
          INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (OLD.id, OLD.name, OLD.name, 'zones', 'DELETE');
        END IF;
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'UPDATE');
        -- re-fires this trigger with only the serial changed, which the branch below ignores
        UPDATE zones SET serial = serial + 1 WHERE id = NEW.id;
      ELSE
        RETURN NULL; -- a serial bump alone is not a change
      END IF;
      PERFORM pg_notify('dns_changes', '');
      RETURN NULL;
    END $$;

    CREATE INDEX domains_reclamation_token ON domains (reclamation_token_hash) WHERE reclamation_token_hash IS NOT NULL;
    CREATE INDEX outbox_job_id_prefix ON outbox (job_id text_pattern_ops);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS domains_reclamation_token;
    DROP INDEX IF EXISTS outbox_job_id_prefix;
  `.execute(db);
}

import { sql, type Kysely } from 'kysely';

/**
 * DNSSEC (issue 15): every zone is signed by default, the operator can turn it off per zone.
 *
 * - `zones.dnssec`: signing on/off. Existing zones get `true`; their first key is made by the registry's
 *   idempotent `ensureZoneKeys` (a migration has no SECRETS_KEY), which `ddns migrate`, `ddns init`, zone
 *   creation and the mailer's DNSSEC sweep run. A zone that should be signed but has no active key yet is
 *   served unsigned until then.
 * - `zone_keys`: the zone's keys. DNSKEY RRset = every row of the zone; RRSIGs are made by the rows in state
 *   `active`; `published` = pre-published for a rollover, not signing yet; `retired` = still published, not
 *   signing, deleted by the rollover step once `retire_after` has passed.
 *
 * Change feed: a write to a zone's keys and a change of `zones.dnssec` append a `dns_changes` row with
 * source `dnssec` and the zone's apex as the name (op = the key row's INSERT/UPDATE/DELETE, UPDATE for the
 * switch), bump the zone's serial and NOTIFY, like every other change: the DNS reloads that zone's keys and
 * signing switch and re-signs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE zones ADD COLUMN dnssec boolean NOT NULL DEFAULT true;

    CREATE TABLE zone_keys (
      id serial PRIMARY KEY,
      zone_id integer NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
      algorithm smallint NOT NULL CHECK (algorithm IN (13, 15)),
      flags integer NOT NULL DEFAULT 257,
      public_key bytea NOT NULL,
      private_key_enc text NOT NULL,
      key_tag integer NOT NULL,
      state text NOT NULL CHECK (state IN ('published', 'active', 'retired')),
      created_at timestamptz NOT NULL DEFAULT now(),
      activated_at timestamptz,
      retire_after timestamptz
    );
    CREATE INDEX zone_keys_zone ON zone_keys (zone_id);

    CREATE FUNCTION ddns_zone_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      v_zone_id integer;
      v_zone_name text;
    BEGIN
      IF TG_OP = 'DELETE' THEN v_zone_id := OLD.zone_id; ELSE v_zone_id := NEW.zone_id; END IF;
      SELECT name INTO v_zone_name FROM zones WHERE id = v_zone_id;
      IF v_zone_name IS NULL THEN
        RETURN NULL; -- the zone is being deleted (cascade); its own trigger logged that
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.zone_id IS DISTINCT FROM OLD.zone_id THEN
        RAISE EXCEPTION 'a zone key cannot move to another zone';
      END IF;
      PERFORM ddns_log_change(v_zone_id, v_zone_name, 'dnssec', TG_OP);
      RETURN NULL;
    END $$;
    CREATE TRIGGER zone_keys_change_feed AFTER INSERT OR UPDATE OR DELETE ON zone_keys
      FOR EACH ROW EXECUTE FUNCTION ddns_zone_keys_changed();

    CREATE FUNCTION ddns_zone_dnssec_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM ddns_log_change(NEW.id, NEW.name, 'dnssec', 'UPDATE');
      RETURN NULL;
    END $$;
    CREATE TRIGGER zones_dnssec_change_feed AFTER UPDATE OF dnssec ON zones
      FOR EACH ROW WHEN (NEW.dnssec IS DISTINCT FROM OLD.dnssec) EXECUTE FUNCTION ddns_zone_dnssec_changed();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS zones_dnssec_change_feed ON zones;
    DROP TABLE IF EXISTS zone_keys;
    DROP FUNCTION IF EXISTS ddns_zone_keys_changed, ddns_zone_dnssec_changed;
    ALTER TABLE zones DROP COLUMN IF EXISTS dnssec;
  `.execute(db);
}

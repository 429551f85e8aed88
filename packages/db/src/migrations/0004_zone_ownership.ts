import { sql, type Kysely } from 'kysely';

/**
 * Ownership of hosted zones (DESIGN.md, "Ownership"): a user's own domain starts `pending` and our DNS stays
 * silent for it (REFUSED) until the account proves control, by the parent's delegation to our name servers or
 * by a TXT record at `_ddns-challenge.<zone>` holding `challenge_token`. The periodic re-check moves a zone
 * whose proof went away to `suspended`. Zones that exist already stay `active`.
 *
 * A status change is a change of the zone for the DNS feed (the DNS drops or loads the zone live).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE zones
      ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'suspended')),
      ADD COLUMN challenge_token text,
      ADD COLUMN status_changed_at timestamptz,
      ADD COLUMN checked_at timestamptz,
      ADD COLUMN check_result text;
    CREATE INDEX zones_hosted_check ON zones (checked_at NULLS FIRST) WHERE kind = 'hosted';
  `.execute(db);
  await zonesTrigger(', NEW.status', ', OLD.status').execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS zones_hosted_check;
    ALTER TABLE zones
      DROP COLUMN IF EXISTS status,
      DROP COLUMN IF EXISTS challenge_token,
      DROP COLUMN IF EXISTS status_changed_at,
      DROP COLUMN IF EXISTS checked_at,
      DROP COLUMN IF EXISTS check_result;
  `.execute(db);
  await zonesTrigger('', '').execute(db);
}

/** The zones change-feed trigger of 0002, with or without the status among the columns that are a change. */
function zonesTrigger(newStatus: string, oldStatus: string) {
  return sql`
    CREATE OR REPLACE FUNCTION ddns_zones_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (OLD.id, OLD.name, OLD.name, 'zones', 'DELETE');
      ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'INSERT');
      ELSIF (NEW.name, NEW.primary_ns, NEW.hostmaster, NEW.refresh, NEW.retry, NEW.expire, NEW.minimum, NEW.ttl, NEW.kind${sql.raw(newStatus)})
          IS DISTINCT FROM (OLD.name, OLD.primary_ns, OLD.hostmaster, OLD.refresh, OLD.retry, OLD.expire, OLD.minimum, OLD.ttl, OLD.kind${sql.raw(oldStatus)}) THEN
        IF NEW.name IS DISTINCT FROM OLD.name THEN
          INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (OLD.id, OLD.name, OLD.name, 'zones', 'DELETE');
        END IF;
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'UPDATE');
        -- re-fires this trigger with only the serial changed, which the branch below ignores
        UPDATE zones SET serial = serial + 1 WHERE id = NEW.id;
      ELSE
        RETURN NULL; -- a serial bump alone (or a check's bookkeeping) is not a change
      END IF;
      PERFORM pg_notify('dns_changes', '');
      RETURN NULL;
    END $$;
  `;
}

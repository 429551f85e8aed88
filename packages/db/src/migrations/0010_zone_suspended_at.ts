import { sql, type Kysely } from 'kysely';

/**
 * When a hosted zone was suspended (issue 12: nobody can squat a domain). A suspended zone (its owner's proof
 * of control went away at a re-check) blocks other accounts only for a while: after the registry's
 * SUSPENDED_ZONE_RELEASE_DAYS counted from `suspended_at`, another account's claim replaces it. Set when the
 * re-check suspends a zone, cleared when it becomes active again.
 *
 * Zones suspended before this migration get now(): their owners' suspension mail named no release date, so
 * they get the full period from the upgrade on. A change of `suspended_at` alone is not a change for the DNS
 * feed (the zones trigger of 0004 compares the served columns only).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE zones ADD COLUMN suspended_at timestamptz`.execute(db);
  await sql`UPDATE zones SET suspended_at = now() WHERE status = 'suspended'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE zones DROP COLUMN IF EXISTS suspended_at`.execute(db);
}

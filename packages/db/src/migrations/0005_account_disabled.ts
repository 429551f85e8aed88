import { sql, type Kysely } from 'kysely';

/**
 * Operators can disable an account (`ddns account disable`): every login and every token of a disabled account
 * is refused by the API until it is enabled again. Its names stay in the DNS and stay reserved.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE accounts ADD COLUMN disabled_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE accounts DROP COLUMN IF EXISTS disabled_at`.execute(db);
}

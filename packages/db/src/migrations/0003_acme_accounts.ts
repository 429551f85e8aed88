import { sql, type Kysely } from 'kysely';

/** ACME accounts the mailer registered, one per directory, so a restart reuses them (CAs limit new ones). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE acme_accounts (
      directory_url text PRIMARY KEY,
      key_enc text NOT NULL,
      account_url text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS acme_accounts`.execute(db);
}

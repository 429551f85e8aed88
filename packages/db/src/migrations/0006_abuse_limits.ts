import { sql, type Kysely } from 'kysely';

/**
 * Issue 12 (abuse):
 * - a verification link's secret is minted by the mailer when it renders the mail, so a pending verification
 *   has no hash until then (and no plain secret ever reaches the outbox or a queue job);
 * - failed requests of nobody (no account, no domain) are counted per hour, surface, source network and
 *   result instead of one `update_log` row each;
 * - the mailer's sweep prunes `update_log`, `dns_changes` and those counts by age: indexes for it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE email_verifications ALTER COLUMN secret_hash DROP NOT NULL;

    CREATE TABLE anonymous_failures (
      hour timestamptz NOT NULL,
      surface text NOT NULL,
      source_network text NOT NULL,
      result text NOT NULL,
      count bigint NOT NULL DEFAULT 1,
      last_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (hour, surface, source_network, result)
    );

    CREATE INDEX update_log_at ON update_log (at);
    CREATE INDEX dns_changes_changed_at ON dns_changes (changed_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS dns_changes_changed_at;
    DROP INDEX IF EXISTS update_log_at;
    DROP TABLE IF EXISTS anonymous_failures;
    DELETE FROM email_verifications WHERE secret_hash IS NULL;
    ALTER TABLE email_verifications ALTER COLUMN secret_hash SET NOT NULL;
  `.execute(db);
}

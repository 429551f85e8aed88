import { sql, type Kysely } from 'kysely';

/**
 * Self-service accounts and the /v1 API (issue 14):
 * - `accounts`: e-mail verification state (existing accounts count as verified), an address change waiting
 *   for its link, TOTP (secret encrypted with SECRETS_KEY; the last used time step, so a code works once);
 * - `sessions`: browser sessions (SHA-256 of the cookie's session id), idle and absolute expiry;
 * - `api_keys`: scoped API keys for /v1 (domains, read/write, expiry), SHA-256 only;
 * - `account_tokens`: single-use, expiring mailed secrets (sign-up verification, address change, password
 *   reset, invites). The hash is null until the mailer mints the secret as it renders the mail;
 * - `totp_recovery_codes`: SHA-256 of each single-use recovery code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE accounts
      ADD COLUMN email_verified_at timestamptz,
      ADD COLUMN pending_email text,
      ADD COLUMN totp_secret_enc text,
      ADD COLUMN totp_pending_enc text,
      ADD COLUMN totp_last_step bigint;
    UPDATE accounts SET email_verified_at = created_at;

    CREATE TABLE sessions (
      id serial PRIMARY KEY,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      source_ip text,
      user_agent text
    );
    CREATE INDEX sessions_account ON sessions (account_id);
    CREATE INDEX sessions_expires ON sessions (expires_at);

    CREATE TABLE api_keys (
      id serial PRIMARY KEY,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      domains text[],
      can_write boolean NOT NULL DEFAULT false,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz
    );
    CREATE INDEX api_keys_account ON api_keys (account_id);

    CREATE TABLE account_tokens (
      id serial PRIMARY KEY,
      purpose text NOT NULL CHECK (purpose IN ('signup', 'email_change', 'password_reset', 'invite')),
      account_id integer REFERENCES accounts(id) ON DELETE CASCADE,
      email text,
      secret_hash text UNIQUE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_by integer REFERENCES accounts(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX account_tokens_account ON account_tokens (account_id);
    CREATE INDEX account_tokens_expires ON account_tokens (expires_at);

    CREATE TABLE totp_recovery_codes (
      id serial PRIMARY KEY,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX totp_recovery_codes_account ON totp_recovery_codes (account_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS totp_recovery_codes;
    DROP TABLE IF EXISTS account_tokens;
    DROP TABLE IF EXISTS api_keys;
    DROP TABLE IF EXISTS sessions;
    ALTER TABLE accounts
      DROP COLUMN IF EXISTS email_verified_at,
      DROP COLUMN IF EXISTS pending_email,
      DROP COLUMN IF EXISTS totp_secret_enc,
      DROP COLUMN IF EXISTS totp_pending_enc,
      DROP COLUMN IF EXISTS totp_last_step;
  `.execute(db);
}

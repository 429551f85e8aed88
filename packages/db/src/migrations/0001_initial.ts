import { sql, type Kysely } from 'kysely';

/** The whole data model of DESIGN.md. See ../schema.ts for what every column means. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE accounts (
      id serial PRIMARY KEY,
      email text NOT NULL CHECK (email <> ''),
      password_hash text,
      api_key_hash text NOT NULL UNIQUE,
      update_token_hash text NOT NULL UNIQUE,
      class text NOT NULL DEFAULT 'default',
      is_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email));

    CREATE TABLE zones (
      id serial PRIMARY KEY,
      name text NOT NULL UNIQUE CHECK (name = lower(name) AND name NOT LIKE '%.'),
      kind text NOT NULL CHECK (kind IN ('shared', 'hosted')),
      account_id integer REFERENCES accounts(id) ON DELETE CASCADE,
      serial bigint NOT NULL DEFAULT 1,
      primary_ns text NOT NULL,
      hostmaster text NOT NULL,
      refresh integer NOT NULL DEFAULT 3600,
      retry integer NOT NULL DEFAULT 600,
      expire integer NOT NULL DEFAULT 1209600,
      minimum integer NOT NULL DEFAULT 60,
      ttl integer NOT NULL DEFAULT 3600,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE domains (
      id serial PRIMARY KEY,
      zone_id integer NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
      name text NOT NULL UNIQUE CHECK (name = lower(name) AND name NOT LIKE '%.'),
      account_id integer REFERENCES accounts(id) ON DELETE CASCADE,
      token_hash text UNIQUE,
      reclamation_token_hash text,
      reclamation_expires_at timestamptz,
      description text NOT NULL DEFAULT '',
      email text,
      email_verified boolean NOT NULL DEFAULT false,
      email_optout boolean NOT NULL DEFAULT false,
      mode smallint CHECK (mode IN (0, 1)),
      last_ping_at timestamptz,
      last_ping_ip4 text,
      last_ping_ip6 text,
      ipv6_prefix text,
      expiry_warned_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX domains_account ON domains (account_id);
    CREATE INDEX domains_zone ON domains (zone_id);

    CREATE TABLE records (
      id serial PRIMARY KEY,
      zone_id integer NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
      domain_id integer REFERENCES domains(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (name = lower(name) AND name NOT LIKE '%.'),
      type text NOT NULL CHECK (type IN ('A','AAAA','CNAME','TXT','MX','NS','SRV','CAA')),
      content text NOT NULL,
      ttl integer NOT NULL DEFAULT 60 CHECK (ttl BETWEEN 1 AND 604800),
      ipv6_host_part text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (zone_id, name, type, content)
    );
    CREATE INDEX records_name ON records (name);
    CREATE INDEX records_domain ON records (domain_id);

    CREATE TABLE dns_changes (
      seq bigserial PRIMARY KEY,
      zone_id integer NOT NULL,
      zone_name text NOT NULL,
      name text NOT NULL,
      source text NOT NULL,
      op text NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE update_log (
      id bigserial PRIMARY KEY,
      account_id integer REFERENCES accounts(id) ON DELETE CASCADE,
      domain_id integer REFERENCES domains(id) ON DELETE SET NULL,
      at timestamptz NOT NULL DEFAULT now(),
      source_ip text,
      user_agent text,
      hosts text NOT NULL DEFAULT '',
      result text NOT NULL,
      detail text
    );
    CREATE INDEX update_log_account_at ON update_log (account_id, at DESC);

    CREATE TABLE email_verifications (
      id serial PRIMARY KEY,
      domain_id integer NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
      email text NOT NULL,
      secret_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE health_checks (
      id serial PRIMARY KEY,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      name text NOT NULL,
      ping_token_hash text NOT NULL UNIQUE,
      period_seconds integer NOT NULL CHECK (period_seconds > 0),
      grace_seconds integer NOT NULL CHECK (grace_seconds >= 0),
      last_ping_at timestamptz,
      state text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'up', 'down')),
      state_changed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (account_id, name)
    );

    CREATE TABLE api_tokens (
      id serial PRIMARY KEY,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz
    );

    CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      queue text NOT NULL,
      job_name text NOT NULL,
      payload jsonb NOT NULL,
      job_id text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      relayed_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    );
    CREATE INDEX outbox_pending ON outbox (id) WHERE relayed_at IS NULL;

    CREATE TABLE mail_domains (
      id serial PRIMARY KEY,
      zone_id integer NOT NULL UNIQUE REFERENCES zones(id) ON DELETE CASCADE,
      account_id integer NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      name text NOT NULL UNIQUE CHECK (name = lower(name)),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE mailboxes (
      id serial PRIMARY KEY,
      mail_domain_id integer NOT NULL REFERENCES mail_domains(id) ON DELETE CASCADE,
      local_part text NOT NULL,
      email text NOT NULL UNIQUE CHECK (email = lower(email)),
      password_hash text NOT NULL,
      quota_mb integer NOT NULL DEFAULT 1024,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (mail_domain_id, local_part)
    );

    CREATE TABLE dkim_keys (
      id serial PRIMARY KEY,
      mail_domain_id integer NOT NULL REFERENCES mail_domains(id) ON DELETE CASCADE,
      selector text NOT NULL,
      public_key text NOT NULL,
      private_key_enc text NOT NULL,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX dkim_one_active ON dkim_keys (mail_domain_id, selector) WHERE active;

    CREATE TABLE certificates (
      id serial PRIMARY KEY,
      hostname text NOT NULL UNIQUE,
      account_id integer REFERENCES accounts(id) ON DELETE CASCADE,
      mail_domain_id integer REFERENCES mail_domains(id) ON DELETE CASCADE,
      cert_pem text NOT NULL,
      chain_pem text NOT NULL DEFAULT '',
      key_enc text NOT NULL,
      not_before timestamptz NOT NULL,
      not_after timestamptz NOT NULL,
      source text NOT NULL CHECK (source IN ('letsencrypt', 'upload')),
      created_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);

  // The change feed: every write to records / domains / zones appends (seq, zone, name), bumps the
  // zone's SOA serial to that seq and NOTIFYs, all inside the writer's transaction.
  await sql`
    CREATE FUNCTION ddns_log_change(p_zone_id integer, p_name text, p_source text, p_op text)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      v_zone_name text;
      v_seq bigint;
    BEGIN
      SELECT name INTO v_zone_name FROM zones WHERE id = p_zone_id;
      IF v_zone_name IS NULL THEN
        RETURN; -- zone deleted in the same statement; the zones trigger logged it
      END IF;
      INSERT INTO dns_changes (zone_id, zone_name, name, source, op)
        VALUES (p_zone_id, v_zone_name, p_name, p_source, p_op)
        RETURNING seq INTO v_seq;
      UPDATE zones SET serial = GREATEST(serial + 1, v_seq) WHERE id = p_zone_id;
      PERFORM pg_notify('dns_changes', '');
    END $$;

    CREATE FUNCTION ddns_records_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM ddns_log_change(OLD.zone_id, OLD.name, 'records', TG_OP);
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.name, NEW.zone_id) IS DISTINCT FROM (OLD.name, OLD.zone_id)) THEN
        PERFORM ddns_log_change(NEW.zone_id, NEW.name, 'records', TG_OP);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER records_change_feed AFTER INSERT OR UPDATE OR DELETE ON records
      FOR EACH ROW EXECUTE FUNCTION ddns_records_changed();

    CREATE FUNCTION ddns_domains_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND (NEW.name, NEW.zone_id, NEW.mode, NEW.last_ping_ip4, NEW.last_ping_ip6)
          IS NOT DISTINCT FROM (OLD.name, OLD.zone_id, OLD.mode, OLD.last_ping_ip4, OLD.last_ping_ip6) THEN
        RETURN NULL; -- nothing the DNS answers from changed
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM ddns_log_change(OLD.zone_id, OLD.name, 'domains', TG_OP);
      END IF;
      IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND (NEW.name, NEW.zone_id) IS DISTINCT FROM (OLD.name, OLD.zone_id)) THEN
        PERFORM ddns_log_change(NEW.zone_id, NEW.name, 'domains', TG_OP);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER domains_change_feed AFTER INSERT OR UPDATE OR DELETE ON domains
      FOR EACH ROW EXECUTE FUNCTION ddns_domains_changed();

    CREATE FUNCTION ddns_zones_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (OLD.id, OLD.name, OLD.name, 'zones', 'DELETE');
      ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'INSERT');
      ELSIF (NEW.primary_ns, NEW.hostmaster, NEW.refresh, NEW.retry, NEW.expire, NEW.minimum, NEW.ttl, NEW.kind)
          IS DISTINCT FROM (OLD.primary_ns, OLD.hostmaster, OLD.refresh, OLD.retry, OLD.expire, OLD.minimum, OLD.ttl, OLD.kind) THEN
        INSERT INTO dns_changes (zone_id, zone_name, name, source, op) VALUES (NEW.id, NEW.name, NEW.name, 'zones', 'UPDATE');
      ELSE
        RETURN NULL; -- a serial bump alone is not a change
      END IF;
      PERFORM pg_notify('dns_changes', '');
      RETURN NULL;
    END $$;
    CREATE TRIGGER zones_change_feed AFTER INSERT OR UPDATE OR DELETE ON zones
      FOR EACH ROW EXECUTE FUNCTION ddns_zones_changed();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS certificates, dkim_keys, mailboxes, mail_domains, outbox, api_tokens, health_checks,
      email_verifications, update_log, dns_changes, records, domains, zones, accounts CASCADE;
    DROP FUNCTION IF EXISTS ddns_log_change, ddns_records_changed, ddns_domains_changed, ddns_zones_changed;
  `.execute(db);
}

import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Db, Domain, DomainMode, Zone } from '@ddns/db';
import { enqueueInOutbox, QUEUES, type EmailTemplate, type RecipientBudget } from '@ddns/jobs';
import { hashToken, newUuidToken, tokenMatches } from '@ddns/secrets';
import type { Logger } from 'pino';
import { domainByToken } from '../../auth';
import { LimitsUnavailableError, sourceNetwork, type RedisLimits } from '../../limits';
import type { SubscribeErrorCode, VerifyOutcome } from './wire';

/** Why a registration call failed; routes.ts turns each kind into the wire's status and body. */
export type RegistrationFailure =
  | { kind: 'bad-request'; reason: string }
  | { kind: 'not-found' }
  | { kind: 'subscribe'; code: SubscribeErrorCode }
  | { kind: 'rate-limited'; retryAfter: number };

export class RegistrationError extends Error {
  constructor(readonly failure: RegistrationFailure) {
    super(failure.kind);
  }
}

const fail = (f: RegistrationFailure): never => {
  throw new RegistrationError(f);
};

export interface WindowLimit {
  limit: number;
  windowSeconds: number;
}

/**
 * Mail-sending calls are limited per name and per source address (and every mail per recipient, see
 * RECIPIENT_LIMITS in @ddns/jobs), so nobody can flood an inbox.
 */
export const REGISTRATION_LIMITS: Record<
  'reclaim' | 'setemail',
  /** perIp: per source network (IPv4 /24, IPv6 /56) */
  { perName: WindowLimit; perIp: WindowLimit }
> = {
  reclaim: { perName: { limit: 3, windowSeconds: 3600 }, perIp: { limit: 10, windowSeconds: 3600 } },
  setemail: { perName: { limit: 5, windowSeconds: 3600 }, perIp: { limit: 20, windowSeconds: 3600 } },
};

/** New gateway names per source network (IPv4 /24, IPv6 /56) and hour: /subscribe needs no account. */
export const SUBSCRIBE_PER_NETWORK: WindowLimit = { limit: 20, windowSeconds: 3600 };

/** Reclamation tokens and verification links live this long and work once. */
export const RECLAMATION_TTL_MS = 24 * 3600 * 1000;
export const VERIFICATION_TTL_MS = 24 * 3600 * 1000;
/** How many `_acme-challenge` TXT values a gateway keeps (wildcard + apex, plus one being replaced). */
export const MAX_ACME_VALUES = 3;
export const ACME_TTL = 60;

export interface RegistrationServiceOptions {
  db: () => Db;
  limits: Pick<RedisLimits, 'hit'>;
  /** per-recipient mail budgets (asked before a mail is queued; the mailer enforces them again) */
  budget: () => RecipientBudget;
  logger: Logger;
  /** REGISTRATION_ZONE; undefined = the only shared zone */
  zoneName: string | undefined;
  publicUrl: string;
}

/** The gateway registration model: every call of seeds 001/004, wire-independent. */
export class RegistrationService {
  constructor(private readonly o: RegistrationServiceOptions) {}

  private get db(): Db {
    return this.o.db();
  }

  /** The zone gateways register under: REGISTRATION_ZONE, or the only shared zone. Throws when ambiguous. */
  async zone(): Promise<Zone> {
    const name = this.o.zoneName?.trim().toLowerCase().replace(/\.$/, '');
    const q = this.db.selectFrom('zones').selectAll().where('kind', '=', 'shared');
    const zones = await (name ? q.where('name', '=', name) : q).execute();
    if (zones.length !== 1)
      throw new Error(
        name
          ? `REGISTRATION_ZONE ${name} is not a shared zone`
          : `no REGISTRATION_ZONE and ${zones.length} shared zones`,
      );
    return zones[0]!;
  }

  /** The gateway holding `token` (a domain of the registration zone with a mode), else a 404. */
  private async gateway(token: string): Promise<{ domain: Domain; zone: Zone }> {
    const zone = await this.zone();
    const d = await domainByToken(this.db, token);
    if (!d || d.mode === null || d.zone_id !== zone.id) return fail({ kind: 'not-found' });
    return { domain: d, zone };
  }

  async subscribe(input: {
    label: string;
    description: string;
    email: string | undefined;
    reclamationToken: string | undefined;
    mode: DomainMode;
    ip: string;
  }): Promise<{ label: string; token: string }> {
    await this.limit(`reg:subscribe:net:${sourceNetwork(input.ip)}`, SUBSCRIBE_PER_NETWORK, null);
    const zone = await this.zone();
    const fqdn = `${input.label}.${zone.name}`;
    const token = newUuidToken();
    const outcome = await this.db.transaction().execute(async (trx) => {
      const d = await trx
        .selectFrom('domains')
        .selectAll()
        .where('name', '=', fqdn)
        .forUpdate()
        .executeTakeFirst();
      if (d) {
        if (input.reclamationToken !== undefined) {
          const valid =
            d.mode !== null &&
            d.zone_id === zone.id &&
            tokenMatches(input.reclamationToken, d.reclamation_token_hash) &&
            d.reclamation_expires_at !== null &&
            new Date(d.reclamation_expires_at).getTime() > Date.now();
          if (!valid) return 'ReclamationTokenMismatch' as const;
          await trx.deleteFrom('records').where('domain_id', '=', d.id).execute();
          await trx
            .updateTable('domains')
            .set({
              token_hash: hashToken(token),
              reclamation_token_hash: null,
              reclamation_expires_at: null,
              description: input.description,
              mode: input.mode,
              last_ping_at: null,
              last_ping_ip4: null,
              last_ping_ip6: null,
              expiry_warned_at: null,
              updated_at: new Date(),
            })
            .where('id', '=', d.id)
            .execute();
          return 'ok' as const;
        }
        const sameOwner =
          input.email !== undefined &&
          d.mode !== null &&
          d.email_verified &&
          d.email !== null &&
          d.email.toLowerCase() === input.email.toLowerCase();
        return sameOwner ? ('UnavailableNameReclamationPossible' as const) : ('UnavailableName' as const);
      }
      if (input.reclamationToken !== undefined) return 'NoSuchName' as const;
      // a zone-level record (glue, the operator's own hosts) at or under the name also makes it unavailable
      const clash = await trx
        .selectFrom('records')
        .select('id')
        .where('zone_id', '=', zone.id)
        .where((eb) => eb.or([eb('name', '=', fqdn), eb('name', 'like', `%.${fqdn}`)]))
        .executeTakeFirst();
      if (clash) return 'UnavailableName' as const;
      const inserted = await trx
        .insertInto('domains')
        .values({
          zone_id: zone.id,
          name: fqdn,
          token_hash: hashToken(token),
          description: input.description,
          mode: input.mode,
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted ? ('ok' as const) : ('UnavailableName' as const);
    });
    if (outcome !== 'ok') return fail({ kind: 'subscribe', code: outcome });
    return { label: input.label, token };
  }

  async unsubscribe(input: {
    token: string | undefined;
    reclamationToken: string | undefined;
  }): Promise<void> {
    if (input.token !== undefined) {
      const { domain } = await this.gateway(input.token);
      await this.db.deleteFrom('domains').where('id', '=', domain.id).execute();
      return;
    }
    if (input.reclamationToken === undefined) return fail({ kind: 'bad-request', reason: 'missing token' });
    const zone = await this.zone();
    const d = await this.db
      .selectFrom('domains')
      .selectAll()
      .where('reclamation_token_hash', '=', hashToken(input.reclamationToken))
      .where('reclamation_expires_at', '>', new Date())
      .where('zone_id', '=', zone.id)
      .where('mode', 'is not', null)
      .executeTakeFirst();
    if (!d || !tokenMatches(input.reclamationToken, d.reclamation_token_hash))
      return fail({ kind: 'not-found' });
    // exactly that one domain, never every domain whose (empty) reclamation token "matches"
    await this.db.deleteFrom('domains').where('id', '=', d.id).execute();
  }

  async reclaim(input: { label: string; ip: string }): Promise<void> {
    const lim = REGISTRATION_LIMITS.reclaim;
    await this.limit(`reg:reclaim:net:${sourceNetwork(input.ip)}`, lim.perIp, null);
    const zone = await this.zone();
    const fqdn = `${input.label}.${zone.name}`;
    const d = await this.db
      .selectFrom('domains')
      .selectAll()
      .where('name', '=', fqdn)
      .where('mode', 'is not', null)
      .executeTakeFirst();
    if (!d) return fail({ kind: 'subscribe', code: 'NoSuchName' });
    if (!d.email || !d.email_verified) return fail({ kind: 'subscribe', code: 'NoEmail' });
    await this.limit(`reg:reclaim:name:${fqdn}`, lim.perName, () =>
      this.sentRecently(`reclaim-${d.id}-`, lim.perName.windowSeconds),
    );
    const email = d.email;
    await this.recipient(email, 'reclamation-token');
    // the token itself is minted by the mailer when it renders the mail (only its hash is ever stored)
    await enqueueInOutbox(this.db, {
      queue: QUEUES.email,
      name: 'reclamation-token',
      jobId: `reclaim-${d.id}-${randomUUID()}`,
      data: {
        to: email,
        template: 'reclamation-token',
        vars: { name: fqdn },
        secret: { kind: 'reclamation', domainId: d.id },
      },
    });
  }

  async ping(input: { token: string; ip: string }): Promise<void> {
    const { domain } = await this.gateway(input.token);
    const family = isIP(input.ip);
    await this.db
      .updateTable('domains')
      .set({
        last_ping_at: new Date(),
        expiry_warned_at: null,
        ...(family === 4 ? { last_ping_ip4: input.ip } : {}),
        ...(family === 6 ? { last_ping_ip6: input.ip } : {}),
      })
      .where('id', '=', domain.id)
      .execute();
  }

  async dnsconfig(input: { token: string; challenge: string }): Promise<void> {
    const { domain, zone } = await this.gateway(input.token);
    const name = `_acme-challenge.${domain.name}`;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('records')
        .values({
          zone_id: zone.id,
          domain_id: domain.id,
          name,
          type: 'TXT',
          content: input.challenge,
          ttl: ACME_TTL,
        })
        .onConflict((oc) =>
          oc.columns(['zone_id', 'name', 'type', 'content']).doUpdateSet({ updated_at: new Date() }),
        )
        .execute();
      const keep = await trx
        .selectFrom('records')
        .select('id')
        .where('domain_id', '=', domain.id)
        .where('name', '=', name)
        .where('type', '=', 'TXT')
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(MAX_ACME_VALUES)
        .execute();
      await trx
        .deleteFrom('records')
        .where('domain_id', '=', domain.id)
        .where('name', '=', name)
        .where('type', '=', 'TXT')
        .where(
          'id',
          'not in',
          keep.map((k) => k.id),
        )
        .execute();
    });
  }

  async info(token: string): Promise<{ domain: Domain; zone: Zone }> {
    return this.gateway(token);
  }

  async setEmail(input: { token: string; email: string; optout: boolean; ip: string }): Promise<void> {
    // the token first: nothing is counted, written or sent for a request that does not own the domain
    const { domain } = await this.gateway(input.token);
    const lim = REGISTRATION_LIMITS.setemail;
    await this.limit(`reg:setemail:net:${sourceNetwork(input.ip)}`, lim.perIp, null);
    await this.limit(`reg:setemail:name:${domain.name}`, lim.perName, () =>
      this.sentRecently(`verify-${domain.id}-`, lim.perName.windowSeconds),
    );
    await this.recipient(input.email, 'verify-email');
    await this.db.transaction().execute(async (trx) => {
      // a new address cancels any earlier pending link
      await trx
        .deleteFrom('email_verifications')
        .where('domain_id', '=', domain.id)
        .where('used_at', 'is', null)
        .execute();
      // the link's secret is minted by the mailer when it renders the mail (only its hash is ever stored)
      const v = await trx
        .insertInto('email_verifications')
        .values({
          domain_id: domain.id,
          email: input.email,
          secret_hash: null,
          expires_at: new Date(Date.now() + VERIFICATION_TTL_MS),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('domains')
        .set({ email_optout: input.optout, updated_at: new Date() })
        .where('id', '=', domain.id)
        .execute();
      await enqueueInOutbox(trx, {
        queue: QUEUES.email,
        name: 'verify-email',
        jobId: `verify-${domain.id}-${v.id}`,
        data: {
          to: input.email,
          template: 'verify-email',
          vars: { name: domain.name, email: input.email },
          secret: { kind: 'verification', verificationId: v.id },
        },
      });
    });
  }

  async verifyEmail(secret: string | undefined): Promise<VerifyOutcome> {
    const s = (secret ?? '').trim();
    if (!s) return { kind: 'missing' };
    if (s.length > 200) return { kind: 'invalid' };
    return this.db.transaction().execute(async (trx) => {
      const v = await trx
        .selectFrom('email_verifications')
        .innerJoin('domains', 'domains.id', 'email_verifications.domain_id')
        .select([
          'email_verifications.id',
          'email_verifications.email',
          'domains.id as domainId',
          'domains.name',
        ])
        .where('secret_hash', '=', hashToken(s))
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .forUpdate()
        .executeTakeFirst();
      if (!v) return { kind: 'invalid' } as const;
      await trx
        .updateTable('email_verifications')
        .set({ used_at: new Date() })
        .where('id', '=', v.id)
        .execute();
      await trx
        .deleteFrom('email_verifications')
        .where('domain_id', '=', v.domainId)
        .where('used_at', 'is', null)
        .execute();
      await trx
        .updateTable('domains')
        .set({ email: v.email, email_verified: true, updated_at: new Date() })
        .where('id', '=', v.domainId)
        .execute();
      return { kind: 'verified', domain: v.name, email: v.email } as const;
    });
  }

  /** Cancels a pending verification and forgets the domain's address (no more mail, no reclamation). */
  async revokeEmail(token: string): Promise<void> {
    const { domain } = await this.gateway(token);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('email_verifications')
        .where('domain_id', '=', domain.id)
        .where('used_at', 'is', null)
        .execute();
      await trx
        .updateTable('domains')
        .set({
          email: null,
          email_verified: false,
          reclamation_token_hash: null,
          reclamation_expires_at: null,
          updated_at: new Date(),
        })
        .where('id', '=', domain.id)
        .execute();
    });
  }

  /**
   * 429 when `to` has had its share of `template` mails (from every source together). While Redis is down the
   * mail is queued anyway: the mailer counts again before it sends.
   */
  private async recipient(to: string, template: EmailTemplate): Promise<void> {
    let admitted: boolean;
    try {
      admitted = await this.o.budget().admit('asked', to, template);
    } catch (err) {
      this.o.logger.warn(
        { err: (err as Error).message },
        'recipient budget unavailable; the mailer checks it',
      );
      return;
    }
    if (!admitted) fail({ kind: 'rate-limited', retryAfter: 3600 });
  }

  /** How many e-mails whose job id starts with `jobIdPrefix` were queued in the last `windowSeconds`. */
  private async sentRecently(jobIdPrefix: string, windowSeconds: number): Promise<number> {
    const r = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('job_id', 'like', `${jobIdPrefix}%`)
      .where('created_at', '>', new Date(Date.now() - windowSeconds * 1000))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Counts a hit against a Redis window limit; 429 when over. While Redis is down the per-name budget is
   * checked against Postgres (`fallback` counts what was already sent), so a request can still succeed (its
   * mail waits in the outbox) without opening a flood.
   */
  private async limit(key: string, w: WindowLimit, fallback: (() => Promise<number>) | null): Promise<void> {
    try {
      const r = await this.o.limits.hit(key, w.limit, w.windowSeconds);
      if (!r.allowed) fail({ kind: 'rate-limited', retryAfter: r.retryAfter });
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      this.o.logger.warn({ key }, 'rate limits unavailable; using the database budget');
      if (fallback && (await fallback()) >= w.limit)
        fail({ kind: 'rate-limited', retryAfter: w.windowSeconds });
    }
  }
}

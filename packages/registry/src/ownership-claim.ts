import { createHash } from 'node:crypto';
import type { Database, Db, Zone } from '@ddns/db';
import { enqueueInOutbox, QUEUES } from '@ddns/jobs';
import { findZone, isInZone } from '@ddns/records';
import type { Transaction } from 'kysely';
import { OpError } from './errors';
import type { NameServer } from './name-servers';
import { challengeName } from './ownership-proof';
import { publicSuffixProblem } from './ownership-suffix';
import { insertZone } from './zones';

/**
 * Who may claim which name (DESIGN.md, "Ownership"). A name is either registered under a shared zone (the
 * normal registration rules apply) or claimed as an outside domain: a hosted zone that starts `pending` and is
 * served only once the account proves control (./ownership-recheck). Refused: public suffixes, names inside a
 * zone of another account, names that contain an existing zone, and a domain another account holds. A claim
 * another account has not proved within UNPROVEN_CLAIM_HOLD_MS does not block the owner for longer: a new
 * claim then replaces it (so a squatter holds a name a day at most, and a fresh claim cannot be wiped at once).
 * A zone suspended SUSPENDED_ZONE_RELEASE_DAYS ago is released the same way (see there).
 */
export const UNPROVEN_CLAIM_HOLD_MS = 24 * 3600 * 1000;

/**
 * How long a suspended zone (its owner's proof of control went away at a re-check: ./ownership-recheck) stays
 * its owner's: 30 days from `zones.suspended_at`. Until then another account's claim is refused with the
 * release date, and the owner gets the zone back, records and all, as soon as the delegation or the TXT proof
 * is back (the re-check runs every 10 minutes for suspended zones). After it, the next claim by another
 * account replaces the zone: the old zone with its records, domains, mail domains and DNSSEC keys is deleted
 * in the claim's transaction (ON DELETE CASCADE; the change feed tells the DNS), and the new claim starts
 * `pending` like any other. 30 days: long enough for an owner to notice the mail and fix a registrar mistake
 * (or a lapsed renewal), short enough that a name that changed hands is usable by its new holder within a
 * month. The suspension mail names the date.
 */
export const SUSPENDED_ZONE_RELEASE_DAYS = 30;
export const SUSPENDED_ZONE_RELEASE_MS = SUSPENDED_ZONE_RELEASE_DAYS * 24 * 3600 * 1000;

/** When a zone suspended at `suspendedAt` may be claimed by another account. */
export function suspendedZoneReleaseAt(suspendedAt: Date | string): Date {
  return new Date(new Date(suspendedAt).getTime() + SUSPENDED_ZONE_RELEASE_MS);
}

/** `2026-12-30 07:15 UTC`: how refusals and mails name a time. */
export function formatUtc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export type ClaimTarget =
  | { kind: 'shared'; zone: { id: number; name: string } }
  | { kind: 'hosted'; replaces: { id: number; status: 'pending' | 'suspended' } | null };

type Q = Db | Transaction<Database>;

export async function checkClaim(q: Q, name: string, accountId: number): Promise<ClaimTarget> {
  const zones = await q
    .selectFrom('zones')
    .select(['id', 'name', 'kind', 'account_id', 'status', 'created_at', 'suspended_at', 'status_changed_at'])
    .execute();
  const z = findZone(name, zones);
  if (z?.kind === 'shared') {
    if (z.name === name) throw new OpError(`${name} is a shared zone of this server`);
    return { kind: 'shared', zone: { id: z.id, name: z.name } };
  }
  if (z && z.name === name) {
    if (z.account_id === accountId) throw new OpError(`${name} is already yours`);
    if (z.status === 'suspended') {
      // suspended_at is set with the status (./ownership-recheck, migration 0010); the fallbacks only cover a
      // row some other writer suspended
      const free = suspendedZoneReleaseAt(z.suspended_at ?? z.status_changed_at ?? z.created_at);
      if (free.getTime() > Date.now())
        throw new OpError(
          `${name} belongs to another account whose proof of control went away; unless it is restored, you can claim it after ${formatUtc(free)}`,
        );
      return { kind: 'hosted', replaces: { id: z.id, status: 'suspended' } };
    }
    if (z.status !== 'pending') throw new OpError(`${name} belongs to another account`);
    const free = new Date(new Date(z.created_at).getTime() + UNPROVEN_CLAIM_HOLD_MS);
    if (free.getTime() > Date.now())
      throw new OpError(
        `${name} is claimed by another account that has not proved control yet; unless it does, you can claim it after ${formatUtc(free)}`,
      );
    return { kind: 'hosted', replaces: { id: z.id, status: 'pending' } };
  }
  if (z) {
    if (z.account_id === accountId)
      throw new OpError(`${name} is inside your domain ${z.name}: add records to it instead`);
    throw new OpError(`${name} is inside ${z.name}, a domain of another account`);
  }
  const below = zones.find((x) => isInZone(x.name, name));
  if (below) throw new OpError(`${name} contains the zone ${below.name}, which is not yours to host`);
  const suffix = publicSuffixProblem(name);
  if (suffix) throw new OpError(suffix);
  return { kind: 'hosted', replaces: null };
}

/**
 * The value the TXT record at `_ddns-challenge.<domain>` must hold. Derived from account and name, so it stays
 * the same when the account claims the name again; it need not be secret (it sits in public DNS once
 * published): what proves control is that the domain's own DNS carries this account's value.
 */
export function challengeToken(accountId: number, name: string): string {
  return (
    'ddns-' + createHash('sha256').update(`ddns-challenge\n${accountId}\n${name}`).digest('hex').slice(0, 40)
  );
}

/** What a claimant is told to do: shown by add_domain, /mail/domains and get_domains. */
export interface OwnershipInfo {
  status: Zone['status'];
  /** the TXT record that proves control */
  challenge: { name: string; type: 'TXT'; value: string };
  /** or delegate the domain to these */
  nameServers: string[];
}

export function ownershipInfo(
  zone: Pick<Zone, 'name' | 'status' | 'challenge_token'>,
  nameServers: string[],
): OwnershipInfo {
  return {
    status: zone.status,
    challenge: { name: challengeName(zone.name), type: 'TXT', value: zone.challenge_token ?? '' },
    nameServers,
  };
}

/**
 * Creates the pending hosted zone of a claim (replacing another account's unproven claim of the same name, or
 * its zone suspended longer than SUSPENDED_ZONE_RELEASE_DAYS) and queues its first check at once, so a domain
 * already delegated here goes live within seconds. The replaced zone goes in the same transaction, with all it
 * holds (records, domains, mail domains, DNSSEC keys: ON DELETE CASCADE); the zones trigger logs its DELETE
 * to the change feed before the new zone's INSERT, so the DNS drops the old data. The delete is conditional on
 * the status checkClaim saw: if the old owner's proof came back meanwhile (active again), the claim is refused.
 */
export async function insertClaimedZone(
  trx: Transaction<Database>,
  input: {
    name: string;
    accountId: number;
    ns?: NameServer[];
    replaces: { id: number; status: 'pending' | 'suspended' } | null;
  },
): Promise<Zone> {
  if (input.replaces !== null) {
    const gone = await trx
      .deleteFrom('zones')
      .where('id', '=', input.replaces.id)
      .where('status', '=', input.replaces.status)
      .returning(['account_id', 'suspended_at'])
      .executeTakeFirst();
    if (!gone) throw new OpError(`${input.name} belongs to another account`);
    if (input.replaces.status === 'suspended') await mailReleased(trx, input.name, gone);
  }
  const zone = await insertZone(trx, {
    name: input.name,
    kind: 'hosted',
    accountId: input.accountId,
    ns: input.ns,
    ownership: { status: 'pending', challengeToken: challengeToken(input.accountId, input.name) },
  });
  await enqueueInOutbox(trx, {
    queue: QUEUES.ownership,
    name: 'ownership-check',
    jobId: `ownership-check-${zone.id}`,
    data: { zoneId: zone.id },
  });
  return zone;
}

/** Tells the owner of a released suspended zone that it was claimed by another account and deleted. */
async function mailReleased(
  trx: Transaction<Database>,
  name: string,
  gone: { account_id: number | null; suspended_at: Date | null },
): Promise<void> {
  if (gone.account_id === null) return;
  const owner = await trx
    .selectFrom('accounts')
    .select('email')
    .where('id', '=', gone.account_id)
    .executeTakeFirst();
  if (!owner) return;
  const now = new Date();
  await enqueueInOutbox(trx, {
    queue: QUEUES.email,
    name: 'zone-released',
    jobId: `zone-released-${gone.account_id}-${name}-${now.getTime()}`,
    data: {
      to: owner.email,
      template: 'zone-released',
      vars: { name, suspendedAt: gone.suspended_at ? formatUtc(gone.suspended_at) : '' },
    },
  });
}

/** Host names of our name servers: the NS at the apex of the shared zones (set by the operator). */
export async function ourNameServers(q: Q): Promise<string[]> {
  const rows = await q
    .selectFrom('records')
    .innerJoin('zones', 'zones.id', 'records.zone_id')
    .select('records.content')
    .where('zones.kind', '=', 'shared')
    .where('records.type', '=', 'NS')
    .whereRef('records.name', '=', 'zones.name')
    .orderBy('records.id')
    .execute();
  return [...new Set(rows.map((r) => r.content))];
}

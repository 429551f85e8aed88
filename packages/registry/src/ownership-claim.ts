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
 */
export const UNPROVEN_CLAIM_HOLD_MS = 24 * 3600 * 1000;

export type ClaimTarget =
  { kind: 'shared'; zone: { id: number; name: string } } | { kind: 'hosted'; replaces: number | null };

type Q = Db | Transaction<Database>;

export async function checkClaim(q: Q, name: string, accountId: number): Promise<ClaimTarget> {
  const zones = await q
    .selectFrom('zones')
    .select(['id', 'name', 'kind', 'account_id', 'status', 'created_at'])
    .execute();
  const z = findZone(name, zones);
  if (z?.kind === 'shared') {
    if (z.name === name) throw new OpError(`${name} is a shared zone of this server`);
    return { kind: 'shared', zone: { id: z.id, name: z.name } };
  }
  if (z && z.name === name) {
    if (z.account_id === accountId) throw new OpError(`${name} is already yours`);
    if (z.status !== 'pending') throw new OpError(`${name} belongs to another account`);
    const free = new Date(z.created_at).getTime() + UNPROVEN_CLAIM_HOLD_MS;
    if (free > Date.now())
      throw new OpError(
        `${name} is claimed by another account that has not proved control yet; unless it does, you can claim it after ${new Date(free).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      );
    return { kind: 'hosted', replaces: z.id };
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
 * Creates the pending hosted zone of a claim (replacing another account's unproven claim of the same name)
 * and queues its first check at once, so a domain already delegated here goes live within seconds.
 */
export async function insertClaimedZone(
  trx: Transaction<Database>,
  input: { name: string; accountId: number; ns?: NameServer[]; replaces: number | null },
): Promise<Zone> {
  if (input.replaces !== null) {
    const gone = await trx
      .deleteFrom('zones')
      .where('id', '=', input.replaces)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) throw new OpError(`${input.name} belongs to another account`);
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

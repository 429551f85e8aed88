import type { Database, Db, DnssecAlgorithm, ZoneKey } from '@ddns/db';
import { sql, type Transaction } from 'kysely';
import { insertZoneKey, zoneKeysOf, type ZoneKeys } from './dnssec-keys';
import type { ParentDs } from './dnssec-parent-ds';
import { OpError } from './errors';

/**
 * Rolling a zone's key: a pre-publish roll of the combined signing key with a double DS at the parent
 * (RFC 6781 §4.1.1.1, RFC 7583 §3.3), in three steps:
 *
 * 1. start: a new key is `published` (in the DNSKEY RRset, signed by the old key, not signing). Its DS should
 *    go to the parent now, next to the old one.
 * 2. activate, once every resolver can have the new DNSKEY (DNSKEY TTL + propagation delay since step 1) and,
 *    when the parent has DS records for the zone, the new key's DS has been at the parent for its TTL +
 *    propagation delay (a resolver that cached the old DS set alone would otherwise reject the new
 *    signatures): the new key signs, the old one is `retired` (published, not signing).
 * 3. delete, once every signature the old key made has expired from caches (the zone's longest TTL +
 *    propagation delay since step 2): the old key leaves the DNSKEY RRset; its DS can go from the parent.
 *
 * The parent is asked (./dnssec-parent-ds) when step 2 is first due; its answer is kept as the new key's
 * scheduled `activated_at`. A parent that cannot be asked holds the roll at step 2. `force` (the CLI's
 * `--now`) takes the next step at once, skipping every wait and the parent: for operators who know, and tests.
 */
export interface RolloverTiming {
  /** time for a change to reach every secondary and the parent's servers (s); default 3600 */
  propagationDelaySeconds?: number;
}

export type RolloverAction = 'started' | 'activated' | 'deleted' | 'waiting' | 'idle';

export interface RolloverStep {
  zone: string;
  action: RolloverAction;
  /** what the roll waits for, or what the operator should do now (one line) */
  detail: string;
  /** when the next step is due by time (null: not by time, or none) */
  nextStepAt: string | null;
  keys: ZoneKeys;
}

type Trx = Transaction<Database>;
const DEFAULT_PROPAGATION_DELAY = 3600;

interface ZoneRow {
  id: number;
  name: string;
  dnssec: boolean;
  ttl: number;
  minimum: number;
}

async function lockZone(trx: Trx, name: string): Promise<ZoneRow> {
  const zone = await trx
    .selectFrom('zones')
    .select(['id', 'name', 'dnssec', 'ttl', 'minimum'])
    .where('name', '=', name)
    .forUpdate()
    .executeTakeFirst();
  if (!zone) throw new OpError(`no zone ${name}`);
  return zone;
}

/** The longest TTL anything signed in the zone is cached for: records, SOA/NS/DNSKEY (zone TTL), negative answers. */
async function longestTtl(trx: Trx, zone: ZoneRow): Promise<number> {
  const r = await trx
    .selectFrom('records')
    .select(sql<number>`coalesce(max(ttl), 0)`.as('ttl'))
    .where('zone_id', '=', zone.id)
    .executeTakeFirstOrThrow();
  return Math.max(Number(r.ttl), zone.ttl, zone.minimum);
}

const later = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000);
const normal = (n: string) => n.trim().toLowerCase().replace(/\.$/, '');

/** Starts a roll (step 1). Refused while signing is off, without an active key, or while a roll is under way. */
export async function startRollover(
  db: Db,
  input: {
    zone: string;
    secretsKey: string;
    algorithm?: DnssecAlgorithm;
    now?: Date;
    timing?: RolloverTiming;
  },
): Promise<RolloverStep> {
  const now = input.now ?? new Date();
  const delay = input.timing?.propagationDelaySeconds ?? DEFAULT_PROPAGATION_DELAY;
  return db.transaction().execute(async (trx) => {
    const zone = await lockZone(trx, normal(input.zone));
    if (!zone.dnssec) throw new OpError(`${zone.name} is not signed (ddns zone dnssec ${zone.name} on)`);
    const keys = await trx.selectFrom('zone_keys').selectAll().where('zone_id', '=', zone.id).execute();
    const active = keys.filter((k) => k.state === 'active');
    if (!active.length) throw new OpError(`${zone.name} has no active key yet`);
    if (keys.some((k) => k.state !== 'active'))
      throw new OpError(
        `a key rollover of ${zone.name} is under way: ddns zone rollover ${zone.name} advances it`,
      );
    const algorithm = input.algorithm ?? active[0]!.algorithm;
    if (active.some((k) => k.algorithm !== algorithm))
      throw new OpError('a rollover keeps the algorithm (an algorithm change: turn signing off, then on)');
    const due = later(now, zone.ttl + delay);
    const k = await insertZoneKey(trx, {
      zoneId: zone.id,
      algorithm,
      state: 'published',
      secretsKey: input.secretsKey,
      now,
      retireAfter: due,
    });
    const view = await zoneKeysOf(trx, zone);
    const ds = view.keys.find((x) => x.id === k.id)!.ds;
    return {
      zone: zone.name,
      action: 'started',
      detail: `new key ${k.keyTag} published; if the parent has a DS for ${zone.name}, add this one next to it now: ${ds}`,
      nextStepAt: due.toISOString(),
      keys: view,
    };
  });
}

/**
 * Takes the next step of a zone's roll when it is due (or at once with `force`); `parentDs` is asked when the
 * activation is first due by time. A zone without a roll under way: `idle`.
 */
export async function advanceRollover(
  db: Db,
  input: {
    zone: string;
    now?: Date;
    force?: boolean;
    timing?: RolloverTiming;
    parentDs?: (zone: string) => Promise<ParentDs>;
  },
): Promise<RolloverStep> {
  const now = input.now ?? new Date();
  const name = normal(input.zone);
  const first = await db.transaction().execute((trx) => advanceLocked(trx, name, now, input, null));
  if (first.needParent === null) return first.step;
  // the parent is asked outside the transaction (a DNS walk), then the step is taken again with its answer
  const parent: ParentDs = input.parentDs
    ? await input.parentDs(name).catch((err: unknown) => ({
        kind: 'unknown' as const,
        reason: (err as Error).message,
      }))
    : { kind: 'unknown', reason: 'no way to ask the parent here' };
  return (await db.transaction().execute((trx) => advanceLocked(trx, name, now, input, parent))).step;
}

async function advanceLocked(
  trx: Trx,
  name: string,
  now: Date,
  input: { force?: boolean; timing?: RolloverTiming },
  parent: ParentDs | null,
): Promise<{ step: RolloverStep; needParent: true | null }> {
  const zone = await lockZone(trx, name);
  const delay = input.timing?.propagationDelaySeconds ?? DEFAULT_PROPAGATION_DELAY;
  const keys = await trx.selectFrom('zone_keys').selectAll().where('zone_id', '=', zone.id).execute();
  const published = keys.find((k) => k.state === 'published');
  const retired = keys.filter((k) => k.state === 'retired');
  const done = async (action: RolloverAction, detail: string, next: Date | null) => ({
    step: {
      zone: zone.name,
      action,
      detail,
      nextStepAt: next ? next.toISOString() : null,
      keys: await zoneKeysOf(trx, zone),
    },
    needParent: null,
  });

  if (published) {
    const readyAt = published.retire_after ?? now;
    if (!input.force) {
      if (readyAt > now)
        return done(
          'waiting',
          `new key ${published.key_tag}: waiting for caches to hold its DNSKEY`,
          readyAt,
        );
      if (!published.activated_at) {
        if (!parent) return { step: (await done('waiting', '', null)).step, needParent: true };
        const scheduled = scheduleActivation(published, parent, readyAt, now, delay);
        if (!scheduled.at) return done('waiting', scheduled.detail, null);
        await trx
          .updateTable('zone_keys')
          .set({ activated_at: scheduled.at })
          .where('id', '=', published.id)
          .execute();
        published.activated_at = scheduled.at;
      }
      if (published.activated_at > now)
        return done(
          'waiting',
          `new key ${published.key_tag}: its DS is at the parent; waiting for caches to hold it`,
          published.activated_at,
        );
    }
    const longest = await longestTtl(trx, zone);
    const deleteAt = later(now, longest + delay);
    const old = keys.filter((k) => k.state === 'active');
    await trx
      .updateTable('zone_keys')
      .set({ state: 'active', activated_at: now, retire_after: null })
      .where('id', '=', published.id)
      .execute();
    if (old.length)
      await trx
        .updateTable('zone_keys')
        .set({ state: 'retired', retire_after: deleteAt })
        .where(
          'id',
          'in',
          old.map((k) => k.id),
        )
        .execute();
    return done(
      'activated',
      `key ${published.key_tag} signs now; retired ${old.map((k) => k.key_tag).join(', ') || 'none'}` +
        ' (their DS can leave the parent)',
      deleteAt,
    );
  }

  if (retired.length) {
    const due = retired.filter((k) => input.force || !k.retire_after || k.retire_after <= now);
    if (!due.length) {
      const next = new Date(Math.min(...retired.map((k) => k.retire_after!.getTime())));
      return done('waiting', `retired key(s) stay published until cached signatures expire`, next);
    }
    await trx
      .deleteFrom('zone_keys')
      .where(
        'id',
        'in',
        due.map((k) => k.id),
      )
      .execute();
    const left = retired.filter((k) => !due.includes(k));
    return done(
      'deleted',
      `deleted key(s) ${due.map((k) => k.key_tag).join(', ')}; the rollover is complete` +
        (left.length ? ' but for older retired keys' : ''),
      left.length ? new Date(Math.min(...left.map((k) => k.retire_after!.getTime()))) : null,
    );
  }
  return done('idle', 'no rollover under way', null);
}

/** When the published key may sign, given what the parent holds (null: not yet; detail says why). */
function scheduleActivation(
  key: ZoneKey,
  parent: ParentDs,
  readyAt: Date,
  now: Date,
  delay: number,
): { at: Date | null; detail: string } {
  const base = readyAt > now ? readyAt : now;
  if (parent.kind === 'none') return { at: base, detail: 'the parent has no DS: nothing to wait for' };
  if (parent.kind === 'unknown')
    return { at: null, detail: `new key ${key.key_tag}: cannot see the parent's DS yet (${parent.reason})` };
  if (!parent.keyTags.includes(key.key_tag))
    return {
      at: null,
      detail: `new key ${key.key_tag}: waiting for its DS at the parent (it has ${parent.keyTags.join(', ')})`,
    };
  const cached = later(now, parent.ttl + delay);
  return { at: cached > base ? cached : base, detail: 'the new DS is at the parent' };
}

/** The next step of every zone with a roll under way (the mailer's DNSSEC sweep). */
export async function stepRollovers(
  db: Db,
  input: { now?: Date; timing?: RolloverTiming; parentDs?: (zone: string) => Promise<ParentDs> },
): Promise<RolloverStep[]> {
  const zones = await db
    .selectFrom('zones')
    .select('name')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('zone_keys')
          .select(sql.lit(1).as('one'))
          .whereRef('zone_keys.zone_id', '=', 'zones.id')
          .where('zone_keys.state', '<>', 'active'),
      ),
    )
    .orderBy('name')
    .execute();
  const out: RolloverStep[] = [];
  for (const z of zones) out.push(await advanceRollover(db, { ...input, zone: z.name }));
  return out;
}

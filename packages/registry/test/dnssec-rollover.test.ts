import { createTestDatabase, sharedZone, startNsd, type NsdServer, type TestDatabase } from '@ddns/testkit';
import {
  advanceRollover,
  dnsAsker,
  ensureZoneKeys,
  listZoneKeys,
  parentDsLookup,
  startRollover,
  stepRollovers,
  type ParentDs,
} from '../src';

const SECRETS_KEY = 'test-secrets-key-0123456789-abcdefghijklm';
const timing = { propagationDelaySeconds: 60 };
const at = (base: Date, s: number) => new Date(base.getTime() + s * 1000);
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

const states = async (zone: string) =>
  (await listZoneKeys(t.db, zone)).keys.map((k) => `${k.keyTag}:${k.state}`);

describe('key rollover by time', () => {
  test('pre-publish, activate after DNSKEY TTL + delay, delete after the longest TTL + delay', async () => {
    const z = await sharedZone(t.db, 'roll.test');
    await t.db
      .insertInto('records')
      .values({ zone_id: z.id, name: 'long.roll.test', type: 'TXT', content: 'x', ttl: 7200 })
      .execute();
    const t0 = new Date('2030-01-01T00:00:00Z');
    await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY, now: t0 });
    const [oldKey] = (await listZoneKeys(t.db, 'roll.test')).keys;
    const none = async (): Promise<ParentDs> => ({ kind: 'none' });

    const s1 = await startRollover(t.db, { zone: 'roll.test', secretsKey: SECRETS_KEY, now: t0, timing });
    expect(s1.action).toBe('started');
    const newKey = s1.keys.keys.find((k) => k.state === 'published')!;
    expect(s1.detail).toContain(newKey.ds);
    expect(s1.nextStepAt).toBe(at(t0, 3600 + 60).toISOString()); // zone TTL (DNSKEY TTL) + delay
    await expect(
      startRollover(t.db, { zone: 'roll.test', secretsKey: SECRETS_KEY, now: t0, timing }),
    ).rejects.toThrow(/under way/);

    const early = await advanceRollover(t.db, {
      zone: 'roll.test',
      now: at(t0, 3600),
      timing,
      parentDs: none,
    });
    expect(early.action).toBe('waiting');
    expect(await states('roll.test')).toEqual([`${oldKey!.keyTag}:active`, `${newKey.keyTag}:published`]);

    const t1 = at(t0, 3660);
    const s2 = await advanceRollover(t.db, { zone: 'roll.test', now: t1, timing, parentDs: none });
    expect(s2.action).toBe('activated');
    expect(await states('roll.test')).toEqual([`${oldKey!.keyTag}:retired`, `${newKey.keyTag}:active`]);
    expect(s2.nextStepAt).toBe(at(t1, 7200 + 60).toISOString()); // the longest TTL in the zone + delay

    const steps = await stepRollovers(t.db, { now: at(t1, 7000), timing, parentDs: none });
    expect(steps.map((s) => [s.zone, s.action])).toEqual([['roll.test', 'waiting']]);
    const s3 = await stepRollovers(t.db, { now: at(t1, 7260), timing, parentDs: none });
    expect(s3.map((s) => s.action)).toEqual(['deleted']);
    expect(await states('roll.test')).toEqual([`${newKey.keyTag}:active`]);
    expect(await stepRollovers(t.db, { now: at(t1, 9999), timing })).toEqual([]);
    const idle = await advanceRollover(t.db, { zone: 'roll.test', force: true });
    expect(idle.action).toBe('idle');
  });

  test('--now takes each step at once, without asking the parent', async () => {
    await sharedZone(t.db, 'forced.test');
    await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY });
    await startRollover(t.db, { zone: 'forced.test', secretsKey: SECRETS_KEY, algorithm: 13 });
    expect((await advanceRollover(t.db, { zone: 'forced.test', force: true })).action).toBe('activated');
    expect((await advanceRollover(t.db, { zone: 'forced.test', force: true })).action).toBe('deleted');
    expect((await listZoneKeys(t.db, 'forced.test')).keys.map((k) => k.state)).toEqual(['active']);
  });

  test('a zone whose parent cannot be asked waits at the activation', async () => {
    await sharedZone(t.db, 'blind.test');
    const t0 = new Date('2030-01-01T00:00:00Z');
    await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY, now: t0 });
    await startRollover(t.db, { zone: 'blind.test', secretsKey: SECRETS_KEY, now: t0, timing });
    const s = await advanceRollover(t.db, { zone: 'blind.test', now: at(t0, 99_999), timing });
    expect(s.action).toBe('waiting');
    expect(s.detail).toMatch(/cannot see the parent/);
  });
});

describe('the DS at a real parent (NSD)', () => {
  let nsd: NsdServer;
  const parentZone = (childDs: string[]) => `$ORIGIN parent.test.
$TTL 300
@ IN SOA ns.parent.test. hostmaster.parent.test. 1 3600 600 86400 60
@ IN NS ns.parent.test.
ns IN A 127.0.0.1
child IN NS ns1.child.parent.test.
ns1.child IN A 127.0.0.1
${childDs.map((d) => d.replace('child.parent.test. IN DS', 'child 120 IN DS')).join('\n')}
`;
  beforeAll(async () => {
    nsd = await startNsd({ 'parent.test': parentZone([]) });
  }, 30_000);
  afterAll(async () => {
    await nsd?.stop();
  });

  test('the activation waits for the new DS at the parent and then for its TTL', async () => {
    const lookup = parentDsLookup({
      start: [{ host: '127.0.0.1', port: nsd.port }],
      ask: dnsAsker(1500),
      followPort: nsd.port,
    });
    expect(await lookup('child.parent.test')).toEqual({ kind: 'none' });
    await sharedZone(t.db, 'child.parent.test');
    const t0 = new Date('2030-01-01T00:00:00Z');
    await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY, now: t0 });
    const oldDs = (await listZoneKeys(t.db, 'child.parent.test')).keys[0]!;
    await nsd.setZones({ 'parent.test': parentZone([oldDs.ds]) });
    expect(await lookup('child.parent.test')).toEqual({ kind: 'ds', keyTags: [oldDs.keyTag], ttl: 120 });

    const s1 = await startRollover(t.db, {
      zone: 'child.parent.test',
      secretsKey: SECRETS_KEY,
      now: t0,
      timing,
    });
    const newKey = s1.keys.keys.find((k) => k.state === 'published')!;
    const ready = at(t0, 3660);
    const s2 = await advanceRollover(t.db, {
      zone: 'child.parent.test',
      now: ready,
      timing,
      parentDs: lookup,
    });
    expect(s2.action).toBe('waiting');
    expect(s2.detail).toContain(`waiting for its DS at the parent (it has ${oldDs.keyTag})`);

    await nsd.setZones({ 'parent.test': parentZone([oldDs.ds, newKey.ds]) });
    const seen = at(ready, 10);
    const s3 = await advanceRollover(t.db, {
      zone: 'child.parent.test',
      now: seen,
      timing,
      parentDs: lookup,
    });
    expect(s3.action).toBe('waiting');
    expect(s3.nextStepAt).toBe(at(seen, 120 + 60).toISOString()); // the DS TTL + delay
    const s4 = await advanceRollover(t.db, {
      zone: 'child.parent.test',
      now: at(seen, 180),
      timing,
      parentDs: lookup,
    });
    expect(s4.action).toBe('activated');
  }, 60_000);
});

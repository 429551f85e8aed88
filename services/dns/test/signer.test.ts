import { createPublicKey, verify } from 'node:crypto';
import {
  dnskeyRdata,
  generateZoneKey,
  keyTag,
  privateKeyObject,
  rrsigHead,
  signedData,
  type SigningKey,
} from '@ddns/dnssec';
import { ZoneSigner } from '../src/dnssec/signer';
import { TYPE } from '../src/wire/constants';
import type { WireRR } from '../src/wire/encode';
import { Journal } from '../src/zone/journal';
import { encodeRecord } from '../src/zone/records';
import type { Zone } from '../src/zone/store';
import { addTestZone, testStore } from './helpers';

const DAY = 86400;
let now = 1_800_000_000;
const key = generateZoneKey(13);
const signing: SigningKey = {
  algorithm: 13,
  keyTag: key.keyTag,
  privateKey: privateKeyObject(key.privateKeyPem),
};
const pub = createPublicKey(signing.privateKey);

function signedZone(): Zone {
  const zone = addTestZone(testStore(), 'x.test', [
    ['x.test', 'NS', 'ns1.x.test'],
    ['ns1.x.test', 'A', '192.0.2.53'],
    ['www.x.test', 'A', '192.0.2.1'],
    ['b.x.test', 'TXT', 'b'],
  ]);
  const keys = { dnskey: [dnskeyRdata(257, 13, key.publicKey)], cds: [], cdnskey: [], signing: [signing] };
  zone.attachSigner(new ZoneSigner(zone, keys, 3600, () => now));
  zone.journal = new Journal();
  return zone;
}

const row = (zone: Zone, serial: number) => ({
  id: zone.id,
  name: zone.name,
  serial: String(serial),
  primary_ns: 'ns1.x.test',
  hostmaster: 'hostmaster.x.test',
  refresh: 3600,
  retry: 600,
  expire: 1209600,
  minimum: 60,
  ttl: 3600,
});

const rrsigs = (rrs: readonly WireRR[]) => rrs.filter((r) => r.type === TYPE.RRSIG);
const covering = (rrs: readonly WireRR[], name: string, type: number) =>
  rrsigs(rrs).filter((r) => r.name === name && r.rdata.readUInt16BE(0) === type);

/** Checks an RRSIG against the RRset it covers, as a validator would. */
function valid(sig: WireRR, rdatas: Buffer[], ttl: number): boolean {
  const type = sig.rdata.readUInt16BE(0);
  const validity = { inception: sig.rdata.readUInt32BE(12), expiration: sig.rdata.readUInt32BE(8) };
  const rrset = { owner: sig.name, type, ttl, rdatas };
  const data = signedData(rrsigHead(rrset, 'x.test', signing, validity), rrset);
  return verify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, sig.rdata.subarray(-64));
}

describe('ZoneSigner', () => {
  it('signs every authoritative RRset once and keeps the signature', () => {
    const zone = signedZone();
    const all = zone.signer!.signedRecords();
    const www = covering(all, 'www.x.test', TYPE.A);
    expect(www).toHaveLength(1);
    expect(valid(www[0]!, [Buffer.from([192, 0, 2, 1])], 300)).toBe(true);
    expect(zone.signer!.signedRecords()).toEqual(all);
    expect(keyTag(dnskeyRdata(257, 13, key.publicKey))).toBe(www[0]!.rdata.readUInt16BE(16));
    // NSEC chain in canonical order, closing at the apex
    const nsec = all.filter((r) => r.type === TYPE.NSEC).map((r) => r.name);
    expect(nsec).toHaveLength(4);
  });

  it('a change re-signs that RRset, its NSEC neighbours and the SOA, and journals exactly the swap', () => {
    const zone = signedZone();
    const before = zone.signer!.signedRecords();
    const serial = zone.serial;
    zone.rows.set('www.x.test', [
      encodeRecord({ name: 'www.x.test', type: 'A', content: '192.0.2.2', ttl: 300 })!,
    ]);
    zone.rebuild('www.x.test');
    zone.rows.set('c.x.test', [encodeRecord({ name: 'c.x.test', type: 'TXT', content: 'c', ttl: 300 })!]);
    zone.rebuild('c.x.test');
    zone.setSoa(row(zone, serial + 1));
    const [step] = zone.journal!.since(serial, serial + 1)!;
    const removed = step!.removed.filter((r) => r.type === TYPE.RRSIG || r.type === TYPE.NSEC);
    const added = step!.added.filter((r) => r.type === TYPE.RRSIG || r.type === TYPE.NSEC);
    // old RRSIG A www, RRSIG SOA, NSEC b (its next name changes) with its RRSIG
    expect(
      removed.map((r) => `${r.name} ${r.type} ${r.type === 46 ? r.rdata.readUInt16BE(0) : ''}`).sort(),
    ).toEqual(['b.x.test 46 47', 'b.x.test 47 ', 'www.x.test 46 1', 'x.test 46 6'].sort());
    for (const r of removed) expect(before).toContainEqual(r);
    const after = zone.signer!.signedRecords();
    for (const r of added) expect(after).toContainEqual(r);
    expect(
      added
        .filter((r) => r.name === 'c.x.test')
        .map((r) => r.type)
        .sort(),
    ).toEqual([46, 46, 47]);
    expect(valid(covering(after, 'www.x.test', TYPE.A)[0]!, [Buffer.from([192, 0, 2, 2])], 300)).toBe(true);
  });

  it('signatures are refreshed at a publish a week before they expire, spread by jitter, all journaled', () => {
    const zone = signedZone();
    const before = rrsigs(zone.signer!.signedRecords());
    const expirations = before.map((r) => r.rdata.readUInt32BE(8));
    expect(Math.min(...expirations)).toBeGreaterThanOrEqual(now + 14 * DAY);
    expect(Math.max(...expirations)).toBeLessThan(now + 16 * DAY);
    expect(zone.signer!.nextRefresh()).toBeGreaterThan(now + 6 * DAY);
    now += 9.5 * DAY;
    expect(zone.signer!.nextRefresh()).toBeLessThanOrEqual(now);
    const serial = zone.serial;
    zone.setSoa(row(zone, serial + 1));
    const [step] = zone.journal!.since(serial, serial + 1)!;
    expect(rrsigs(step!.removed)).toHaveLength(before.length);
    expect(rrsigs(step!.added)).toHaveLength(before.length);
    for (const r of rrsigs(step!.added)) expect(r.rdata.readUInt32BE(12)).toBe(now - 3600);
    expect(zone.signer!.nextRefresh()).toBeGreaterThan(now);
  });

  it('a signature about to expire with no publish is re-made when answering, and IXFR falls back to AXFR', () => {
    const zone = signedZone();
    zone.signer!.signedRecords();
    const serial = zone.serial;
    zone.setSoa(row(zone, serial + 1));
    expect(zone.journal!.since(serial, serial + 1)).not.toBeNull();
    now += 20 * DAY;
    const node = zone.nodes.get('www.x.test')!;
    const [sig] = zone.signer!.rrsigs('www.x.test', 'www.x.test', TYPE.A, node, 300);
    expect(sig!.rdata.readUInt32BE(8)).toBeGreaterThan(now + 13 * DAY);
    expect(zone.journal!.since(serial, serial + 1)).toBeNull();
  });
});

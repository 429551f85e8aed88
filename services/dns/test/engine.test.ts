import Packet from 'native-dns-packet';
import { answer } from '../src/answer/engine';
import { RateLimiter, clientPrefix } from '../src/limits/rrl';
import { Responder } from '../src/responder';
import { RCODE, TYPE } from '../src/wire/constants';
import type { WireRR } from '../src/wire/encode';
import { encodeA, encodeAAAA, nameToWire } from '../src/wire/rdata';
import { ixfrRecords } from '../src/xfr/axfr';
import { Journal } from '../src/zone/journal';
import type { TunnelConfig } from '../src/zone/store';
import { encodeRecord } from '../src/zone/records';
import { addTestZone, makeQuery, testStore } from './helpers';

function build() {
  const store = testStore();
  addTestZone(
    store,
    'example.net',
    [
      ['example.net', 'NS', 'ns1.example.net', 3600],
      ['example.net', 'NS', 'ns2.other.org', 3600],
      ['example.net', 'MX', '10 mail.example.net'],
      ['example.net', 'CAA', '0 issue "letsencrypt.org"'],
      ['ns1.example.net', 'A', '192.0.2.53'],
      ['mail.example.net', 'A', '192.0.2.25'],
      ['www.example.net', 'A', '192.0.2.80'],
      ['www.example.net', 'AAAA', '2001:db8::80'],
      ['alias.example.net', 'CNAME', 'www.example.net'],
      ['far.example.net', 'CNAME', 'host.other.org'],
      ['out.example.net', 'CNAME', 'somewhere.invalid'],
      ['loop1.example.net', 'CNAME', 'loop2.example.net'],
      ['loop2.example.net', 'CNAME', 'loop1.example.net'],
      ['gone.example.net', 'CNAME', 'nothing.example.net'],
      ['txt.example.net', 'TXT', 'v=spf1 -all'],
      ['txt.example.net', 'TXT', 'second value'],
      ['_sip._tcp.example.net', 'SRV', '10 5 5060 www.example.net'],
      ['a.b.c.example.net', 'A', '192.0.2.3'],
      ['*.wild.example.net', 'A', '192.0.2.99'],
      ['*.wild.example.net', 'TXT', 'wild'],
      ['exists.wild.example.net', 'TXT', 'here'],
      ['*.cw.example.net', 'CNAME', 'www.example.net'],
      ['sub.example.net', 'NS', 'ns.sub.example.net'],
      ['ns.sub.example.net', 'A', '192.0.2.54'],
      ['gw0.example.net', 'TXT', 'gateway zero'],
      ['_acme-challenge.gw0.example.net', 'TXT', 'token-value', 30],
    ],
    {
      'gw0.example.net': { mode: 0, ip4: '198.51.100.7', ip6: null },
      'gw1.example.net': { mode: 1, ip4: '198.51.100.8', ip6: '2001:db8:1::8' },
    },
    { ttl: 3600, minimum: 300 },
  );
  addTestZone(store, 'other.org', [
    ['other.org', 'NS', 'ns2.other.org'],
    ['host.other.org', 'A', '192.0.2.77'],
  ]);
  return store;
}

const store = build();
const ask = (name: string, type: number) => answer(store, { lname: name, type, class: 1 });
const names = (rrs: readonly WireRR[]) => rrs.map((r) => `${r.name}/${r.type}`);
const a = (ip: string) => encodeA(ip);

describe('answer engine', () => {
  it('answers authoritatively with every record of the RRset', () => {
    const r = ask('www.example.net', TYPE.A);
    expect(r).toMatchObject({ rcode: RCODE.NOERROR, aa: true });
    expect(r.answer.map((x) => x.rdata)).toEqual([a('192.0.2.80')]);
    expect(ask('txt.example.net', TYPE.TXT).answer).toHaveLength(2);
  });

  it('has SOA and NS at the apex, with glue for in-zone name servers', () => {
    const soa = ask('example.net', TYPE.SOA);
    expect(soa.answer).toHaveLength(1);
    expect(soa.answer[0]).toMatchObject({ type: TYPE.SOA, ttl: 3600 });
    const ns = ask('example.net', TYPE.NS);
    expect(ns.answer).toHaveLength(2);
    expect(names(ns.additional)).toEqual(['ns1.example.net/1']);
  });

  it('NXDOMAIN vs NODATA, both with the SOA and min(TTL, minimum) as TTL (RFC 2308)', () => {
    const nx = ask('nope.example.net', TYPE.A);
    expect(nx.rcode).toBe(RCODE.NXDOMAIN);
    expect(nx.authority).toHaveLength(1);
    expect(nx.authority[0]).toMatchObject({ name: 'example.net', type: TYPE.SOA, ttl: 300 });
    const nodata = ask('www.example.net', TYPE.MX);
    expect(nodata.rcode).toBe(RCODE.NOERROR);
    expect(nodata.answer).toHaveLength(0);
    expect(nodata.authority[0]).toMatchObject({ type: TYPE.SOA, ttl: 300 });
  });

  it('treats empty non-terminals as existing (NODATA, not NXDOMAIN)', () => {
    expect(ask('b.c.example.net', TYPE.A)).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
    expect(ask('c.example.net', TYPE.A).rcode).toBe(RCODE.NOERROR);
    expect(ask('x.a.b.c.example.net', TYPE.A).rcode).toBe(RCODE.NXDOMAIN);
  });

  it('chases CNAMEs inside our zones, across zones, and stops on loops', () => {
    expect(names(ask('alias.example.net', TYPE.A).answer)).toEqual([
      'alias.example.net/5',
      'www.example.net/1',
    ]);
    expect(names(ask('far.example.net', TYPE.A).answer)).toEqual(['far.example.net/5', 'host.other.org/1']);
    const out = ask('out.example.net', TYPE.A);
    expect(names(out.answer)).toEqual(['out.example.net/5']);
    expect(out.rcode).toBe(RCODE.NOERROR);
    const loop = ask('loop1.example.net', TYPE.A);
    expect(names(loop.answer)).toEqual(['loop1.example.net/5', 'loop2.example.net/5']);
    const gone = ask('gone.example.net', TYPE.A);
    expect(gone.rcode).toBe(RCODE.NXDOMAIN);
    expect(names(gone.answer)).toEqual(['gone.example.net/5']);
    expect(names(ask('alias.example.net', TYPE.CNAME).answer)).toEqual(['alias.example.net/5']);
  });

  it('synthesises from wildcards per RFC 4592', () => {
    const w = ask('anything.wild.example.net', TYPE.A);
    expect(w.answer).toEqual([
      { name: 'anything.wild.example.net', type: TYPE.A, ttl: 300, rdata: a('192.0.2.99') },
    ]);
    expect(ask('deep.er.wild.example.net', TYPE.TXT).answer).toHaveLength(1);
    // an existing name is never covered by the wildcard
    expect(ask('exists.wild.example.net', TYPE.A)).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
    // nor is anything below an existing name
    expect(ask('x.exists.wild.example.net', TYPE.A).rcode).toBe(RCODE.NXDOMAIN);
    // the wildcard owner itself answers literally
    expect(ask('*.wild.example.net', TYPE.A).answer).toHaveLength(1);
    expect(names(ask('q.cw.example.net', TYPE.A).answer)).toEqual([
      'q.cw.example.net/5',
      'www.example.net/1',
    ]);
  });

  it('refers below a zone cut with glue and no AA', () => {
    const r = ask('host.sub.example.net', TYPE.A);
    expect(r).toMatchObject({ rcode: RCODE.NOERROR, aa: false, answer: [] });
    expect(names(r.authority)).toEqual(['sub.example.net/2']);
    expect(names(r.additional)).toEqual(['ns.sub.example.net/1']);
    expect(ask('sub.example.net', TYPE.NS).aa).toBe(false);
    // DS belongs to the parent side: NODATA from us, not a referral
    expect(ask('sub.example.net', 43)).toMatchObject({ aa: true, answer: [], rcode: RCODE.NOERROR });
  });

  it('answers MX, SRV (with target addresses) and CAA', () => {
    const mx = ask('example.net', TYPE.MX);
    expect(names(mx.additional)).toEqual(['mail.example.net/1']);
    const srv = ask('_sip._tcp.example.net', TYPE.SRV);
    expect(srv.answer).toHaveLength(1);
    expect(srv.answer[0]!.rdata.subarray(6)).toEqual(nameToWire('www.example.net'));
    expect(ask('example.net', TYPE.CAA).answer).toHaveLength(1);
  });

  it('refuses names outside our zones and non-IN classes', () => {
    expect(ask('example.com', TYPE.A)).toMatchObject({ rcode: RCODE.REFUSED, aa: false });
    expect(ask('net', TYPE.A).rcode).toBe(RCODE.REFUSED);
    expect(answer(store, { lname: 'www.example.net', type: TYPE.A, class: 3 }).rcode).toBe(RCODE.REFUSED);
    expect(ask('example.net', TYPE.AXFR).rcode).toBe(RCODE.REFUSED);
  });

  it('answers ANY with a single RRset (RFC 8482)', () => {
    const r = ask('example.net', TYPE.ANY);
    expect(new Set(r.answer.map((x) => x.type)).size).toBe(1);
  });

  it('gateway names: mode 0 → tunnel addresses, mode 1 → last ping, for name and *.name', () => {
    expect(ask('gw0.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('203.0.113.1')]);
    expect(ask('deep.host.gw0.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('203.0.113.1')]);
    expect(ask('gw0.example.net', TYPE.AAAA).answer).toHaveLength(1);
    expect(ask('gw0.example.net', TYPE.TXT).answer).toHaveLength(1);
    expect(ask('gw1.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('198.51.100.8')]);
    expect(ask('x.gw1.example.net', TYPE.AAAA).answer).toHaveLength(1);
    const acme = ask('_acme-challenge.gw0.example.net', TYPE.TXT);
    expect(acme.answer).toHaveLength(1);
    expect(acme.answer[0]!.ttl).toBe(30);
  });
});

describe('tunnelled gateways without a configured tunnel', () => {
  const gateways = {
    'gw0.example.net': { mode: 0 as const, ip4: '198.51.100.7', ip6: '2001:db8:7::7' },
    'fresh.example.net': { mode: 0 as const, ip4: null, ip6: null },
  };
  const withTunnel = (tunnel: TunnelConfig) => {
    const s = testStore(tunnel);
    addTestZone(s, 'example.net', [['example.net', 'NS', 'ns1.example.net']], gateways);
    return (name: string, type: number) => answer(s, { lname: name, type, class: 1 });
  };

  it('no TUNNEL_IPV4/6 (the default): mode 0 answers the last ping addresses, as mode 1', () => {
    const q = withTunnel({});
    expect(q('gw0.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('198.51.100.7')]);
    expect(q('www.gw0.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('198.51.100.7')]);
    expect(q('gw0.example.net', TYPE.AAAA).answer.map((x) => x.rdata)).toEqual([encodeAAAA('2001:db8:7::7')]);
    // never pinged yet: no address
    expect(q('fresh.example.net', TYPE.A).answer).toEqual([]);
  });

  it('a tunnel of one family configured: mode 0 answers only the tunnel, never the gateway itself', () => {
    const q = withTunnel({ ipv4: '203.0.113.1' });
    expect(q('gw0.example.net', TYPE.A).answer.map((x) => x.rdata)).toEqual([a('203.0.113.1')]);
    expect(q('gw0.example.net', TYPE.AAAA).answer).toEqual([]);
  });
});

describe('responder (no sockets)', () => {
  const udp = { address: '192.0.2.1', transport: 'udp' as const };
  const responder = new Responder(() => store);
  const send = (q: Buffer, c = udp) => {
    const out = responder.handle(q, c);
    if (!out || !Buffer.isBuffer(out)) throw new Error('expected one reply');
    return Packet.parse(out);
  };

  it('echoes the question as sent and its id; RD copied, RA never', () => {
    const p = send(makeQuery('WWW.example.NET', TYPE.A, { id: 4242, rd: true }));
    expect(p.header).toMatchObject({ id: 4242, qr: 1, aa: 1, rd: 1, ra: 0, rcode: 0 });
    expect(p.question[0]!.name).toBe('WWW.example.NET');
    // again, from the packet cache, with another case and id
    const again = send(makeQuery('www.EXAMPLE.net', TYPE.A, { id: 7 }));
    expect(again.header).toMatchObject({ id: 7, rd: 0 });
    expect(again.question[0]!.name).toBe('www.EXAMPLE.net');
    expect(again.answer[0]!.address).toBe('192.0.2.80');
  });

  it('answers a wildcard for a query label holding odd bytes with the same bytes', () => {
    // label "a.b" (a dot inside a label), under *.wild.example.net
    const q = Buffer.concat([
      makeQuery('x', TYPE.A).subarray(0, 12),
      Buffer.from([3, 97, 46, 98]),
      Buffer.from([
        4,
        ...Buffer.from('wild'),
        7,
        ...Buffer.from('example'),
        3,
        ...Buffer.from('net'),
        0,
        0,
        1,
        0,
        1,
      ]),
    ]);
    const out = responder.handle(q, udp) as Buffer;
    // the answer owner is compressed onto the question (identical bytes), then A 192.0.2.99
    expect(out.readUInt16BE(6)).toBe(1);
    expect(out.subarray(out.length - 16)).toEqual(
      Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 99]),
    );
  });

  it('NOTIMP for unknown opcodes, FORMERR for garbage with a header, silence for responses', () => {
    expect(send(makeQuery('www.example.net', TYPE.A, { opcode: 2 })).header.rcode).toBe(RCODE.NOTIMP);
    const junk = Buffer.concat([
      makeQuery('www.example.net', 1).subarray(0, 12),
      Buffer.from([0xc0, 12, 0, 1, 0, 1]),
    ]);
    const out = responder.handle(junk, udp) as Buffer;
    expect(out.readUInt16BE(2) & 0xf).toBe(RCODE.FORMERR);
    const response = makeQuery('www.example.net', 1);
    response[2] = response[2]! | 0x80;
    expect(responder.handle(response, udp)).toBeNull();
    expect(responder.handle(Buffer.alloc(3), udp)).toBeNull();
  });

  it('EDNS: echoes OPT, honours the size, BADVERS for version > 0', () => {
    const p = send(makeQuery('txt.example.net', TYPE.TXT, { edns: 1232 }));
    expect(p.additional.some((r) => r.type === 41)).toBe(true);
    const bad = responder.handle(
      makeQuery('txt.example.net', TYPE.TXT, { edns: 1232, ednsVersion: 1 }),
      udp,
    ) as Buffer;
    expect(bad.readUInt16BE(2) & 0xf).toBe(0);
    expect(bad.readUInt8(bad.length - 6)).toBe(1); // extended rcode 16 → upper bits 1
  });

  it('RRL: over the rate a prefix gets drops and TC slips; TCP is never limited', () => {
    let now = 0;
    const limited = new Responder(() => store, {
      rrl: new RateLimiter({ rate: 5, burst: 5, slip: 2 }, () => now),
      cache: false,
    });
    const q = makeQuery('www.example.net', TYPE.A);
    const results = Array.from({ length: 12 }, () =>
      limited.handle(q, { address: '198.51.100.9', transport: 'udp' }),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(5 + 3);
    const slip = results.filter(
      (r): r is Buffer => r !== null && Buffer.isBuffer(r) && (r.readUInt16BE(2) & 0x200) !== 0,
    );
    expect(slip).toHaveLength(3);
    const sameNet = limited.handle(q, { address: '198.51.100.77', transport: 'udp' }) as Buffer | null; // same /24
    expect(sameNet === null || (sameNet.readUInt16BE(2) & 0x200) !== 0).toBe(true);
    expect(limited.handle(q, { address: '198.51.101.1', transport: 'udp' })).not.toBeNull();
    expect(limited.handle(q, { address: '198.51.100.9', transport: 'tcp' })).not.toBeNull();
    now += 1000;
    expect(limited.handle(q, { address: '198.51.100.9', transport: 'udp' })).not.toBeNull();
    expect(clientPrefix('2001:db8:aa:bbcc::1')).toBe(clientPrefix('2001:db8:aa:bb00::9'));
    expect(clientPrefix('::ffff:10.1.2.3')).toBe('10.1.2');
  });
});

describe('IXFR journal', () => {
  it('serves the steps since a known serial, the SOA alone when current, null when out of reach', () => {
    const s = testStore();
    const zone = addTestZone(s, 'ix.test', [
      ['ix.test', 'NS', 'ns1.ix.test'],
      ['a.ix.test', 'A', '192.0.2.1'],
    ]);
    zone.journal = new Journal();
    const row = (serial: string) => ({
      id: zone.id,
      name: 'ix.test',
      serial,
      primary_ns: 'ns1.ix.test',
      hostmaster: 'hostmaster.ix.test',
      refresh: 3600,
      retry: 600,
      expire: 1209600,
      minimum: 60,
      ttl: 3600,
    });
    // step 7 → 8: a.ix.test changes address, b.ix.test appears
    zone.rows.set('a.ix.test', [
      encodeRecord({ name: 'a.ix.test', type: 'A', content: '192.0.2.2', ttl: 300 })!,
    ]);
    zone.rows.set('b.ix.test', [
      encodeRecord({ name: 'b.ix.test', type: 'TXT', content: 'hello', ttl: 300 })!,
    ]);
    zone.rebuild('a.ix.test');
    zone.rebuild('b.ix.test');
    zone.setSoa(row('8'));
    // step 8 → 9: b.ix.test goes
    zone.rows.delete('b.ix.test');
    zone.rebuild('b.ix.test');
    zone.setSoa(row('9'));

    const serialOf = (r: WireRR) => r.rdata.readUInt32BE(r.rdata.length - 20);
    const steps = ixfrRecords(zone, 7)!;
    expect(steps.map((r) => (r.type === TYPE.SOA ? `SOA ${serialOf(r)}` : `${r.name}/${r.type}`))).toEqual([
      'SOA 9',
      'SOA 7',
      'a.ix.test/1',
      'SOA 8',
      'a.ix.test/1',
      'b.ix.test/16',
      'SOA 8',
      'b.ix.test/16',
      'SOA 9',
      'SOA 9',
    ]);
    expect(steps[2]!.rdata).toEqual(a('192.0.2.1'));
    expect(steps[4]!.rdata).toEqual(a('192.0.2.2'));
    expect(ixfrRecords(zone, 8)!.filter((r) => r.type === TYPE.SOA)).toHaveLength(4);
    expect(ixfrRecords(zone, 9)).toHaveLength(1);
    expect(ixfrRecords(zone, 3)).toBeNull();
  });
});

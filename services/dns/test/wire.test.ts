import Packet from 'native-dns-packet';
import { TYPE } from '../src/wire/constants';
import { encodeResponse, type WireRR } from '../src/wire/encode';
import { FrameDecoder, frame } from '../src/wire/framing';
import { encodeCaa, encodeSrv, encodeTxt, nameToWire } from '../src/wire/rdata';
import { parseMessage, walkName } from '../src/wire/validate';
import { makeQuery } from './helpers';

const header = (qd = 1, an = 0, ns = 0, ar = 0) => {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0xbeef, 0);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
};

describe('validator', () => {
  it('decodes a plain query, keeping the case of the question', () => {
    const r = parseMessage(makeQuery('WwW.Example.NET', TYPE.A, { rd: true, edns: 1232 }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.msg.question).toMatchObject({
      name: 'WwW.Example.NET',
      lname: 'www.example.net',
      type: 1,
      class: 1,
      plain: true,
    });
    expect(r.msg.rd).toBe(true);
    expect(r.msg.edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: false });
  });

  it('rejects a pointer to itself (the 18-byte packet that hangs native-dns-packet)', () => {
    const p = Buffer.concat([header(), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(p.length).toBe(18);
    expect(parseMessage(p)).toMatchObject({ ok: false, id: 0xbeef });
  });

  it('rejects forward pointers and two-step loops', () => {
    const forward = Buffer.concat([header(), Buffer.from([0xc0, 14, 1, 97, 0, 0, 1, 0, 1])]);
    expect(parseMessage(forward).ok).toBe(false);
    // label "a" then a pointer back to it: a loop that only a "strictly before the previous segment" rule stops
    const loop = Buffer.concat([header(), Buffer.from([1, 97, 0xc0, 12, 0, 1, 0, 1])]);
    expect(parseMessage(loop).ok).toBe(false);
    expect(() => walkName(loop, 12)).toThrow();
  });

  it('accepts backward pointers', () => {
    // question example.com, then an answer owner pointing at it
    const q = Buffer.concat([header(1, 1), nameToWire('example.com'), Buffer.from([0, 1, 0, 1])]);
    const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]);
    const r = parseMessage(Buffer.concat([q, rr]), true);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.msg.answers[0]).toMatchObject({ name: 'example.com', type: 1 });
  });

  it('enforces name and label limits, counts and lengths', () => {
    const long = Buffer.concat([
      header(),
      ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 97)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    expect(parseMessage(long)).toMatchObject({ ok: false, reason: 'name longer than 255 bytes' });
    const badLabel = Buffer.concat([header(), Buffer.from([0x40, 97, 0, 0, 1, 0, 1])]);
    expect(parseMessage(badLabel).ok).toBe(false);
    const missingQuestion = header(2);
    expect(
      parseMessage(Buffer.concat([missingQuestion, nameToWire('a.b'), Buffer.from([0, 1, 0, 1])])).ok,
    ).toBe(false);
    const trailing = Buffer.concat([makeQuery('a.b', 1), Buffer.from([0])]);
    expect(parseMessage(trailing).ok).toBe(false);
    const rdlen = Buffer.concat([
      header(1, 1),
      nameToWire('a.b'),
      Buffer.from([0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 9, 1]),
    ]);
    expect(parseMessage(rdlen).ok).toBe(false);
    expect(parseMessage(Buffer.alloc(5))).toMatchObject({ ok: false, id: null });
  });

  it('rejects OPT outside the additional section and a second OPT', () => {
    const opt = Buffer.from([0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
    const inAnswer = Buffer.concat([header(1, 1), nameToWire('a.b'), Buffer.from([0, 1, 0, 1]), opt]);
    expect(parseMessage(inAnswer).ok).toBe(false);
    const two = Buffer.concat([header(1, 0, 0, 2), nameToWire('a.b'), Buffer.from([0, 1, 0, 1]), opt, opt]);
    expect(parseMessage(two).ok).toBe(false);
  });

  it('escapes odd bytes in names so they cannot alias real names', () => {
    const q = Buffer.concat([header(), Buffer.from([3, 97, 46, 98, 1, 99, 0, 0, 1, 0, 1])]);
    const r = parseMessage(q);
    expect(r.ok && r.msg.question?.lname).toBe('a\\046b.c');
  });
});

describe('encoder', () => {
  const q = parseMessage(makeQuery('Big.Example.com', TYPE.TXT, { id: 7 }));
  if (!q.ok) throw new Error('bad fixture');
  const many: WireRR[] = Array.from({ length: 40 }, (_, i) => ({
    name: 'big.example.com',
    type: TYPE.TXT,
    ttl: 60,
    rdata: encodeTxt(`value number ${i} `.repeat(3)),
  }));

  it('round-trips through an independent decoder, question case kept', () => {
    const out = encodeResponse(
      q.msg,
      { rcode: 0, aa: true, answer: many.slice(0, 2), authority: [], additional: [] },
      512,
      null,
    );
    const p = Packet.parse(out.bytes);
    expect(p.header).toMatchObject({ id: 7, qr: 1, aa: 1, tc: 0 });
    expect(p.question[0]!.name).toBe('Big.Example.com');
    expect(p.answer).toHaveLength(2);
    expect(p.answer[0]!.name).toBe('Big.Example.com');
  });

  it('truncates to the limit and sets TC instead of throwing', () => {
    const out = encodeResponse(
      q.msg,
      { rcode: 0, aa: true, answer: many, authority: [], additional: [] },
      512,
      null,
    );
    expect(out.truncated).toBe(true);
    expect(out.bytes.length).toBeLessThanOrEqual(512);
    const p = Packet.parse(out.bytes);
    expect(p.header.tc).toBe(1);
    expect(p.answer).toHaveLength(0);
    const big = encodeResponse(
      q.msg,
      { rcode: 0, aa: true, answer: many, authority: [], additional: [] },
      4096,
      { udpSize: 4096, rcode: 0 },
    );
    expect(big.truncated).toBe(false);
    expect(Packet.parse(big.bytes).answer).toHaveLength(40);
  });

  it('drops additional records that do not fit without setting TC', () => {
    const out = encodeResponse(
      q.msg,
      { rcode: 0, aa: true, answer: many.slice(0, 1), authority: [], additional: many },
      512,
      null,
    );
    expect(out.truncated).toBe(false);
    const p = Packet.parse(out.bytes);
    expect(p.header.tc).toBe(0);
    expect(p.answer).toHaveLength(1);
    expect(p.additional.length).toBeGreaterThan(0);
    expect(p.additional.length).toBeLessThan(40);
  });

  it('splits TXT into 255-byte strings, writes CAA and an uncompressed SRV target', () => {
    const txt = encodeTxt('x'.repeat(600));
    expect([txt[0], txt[256], txt[512]]).toEqual([255, 255, 90]);
    expect(txt.length).toBe(603);
    expect(encodeCaa(0, 'issue', 'letsencrypt.org')).toEqual(
      Buffer.from('\x00\x05issueletsencrypt.org', 'latin1'),
    );
    const srv = encodeSrv(10, 5, 5060, 'big.example.com');
    expect(srv.subarray(6)).toEqual(nameToWire('big.example.com'));
    const out = encodeResponse(
      q.msg,
      {
        rcode: 0,
        aa: true,
        answer: [{ name: 'big.example.com', type: TYPE.SRV, ttl: 1, rdata: srv }],
        authority: [],
        additional: [],
      },
      512,
      null,
    );
    expect(out.bytes.includes(nameToWire('big.example.com'))).toBe(true);
  });
});

describe('TCP framing', () => {
  it('splits pipelined and fragmented messages', () => {
    const a = makeQuery('a.example', 1);
    const b = makeQuery('b.example', 28);
    const stream = Buffer.concat([frame(a), frame(b)]);
    const d = new FrameDecoder();
    expect(d.push(stream.subarray(0, 5))).toEqual([]);
    const got = [...d.push(stream.subarray(5, 40)), ...d.push(stream.subarray(40))];
    expect(got).toEqual([a, b]);
    expect(d.buffered).toBe(0);
  });
});

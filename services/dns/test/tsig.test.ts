import { randomBytes } from 'node:crypto';
import { parseConfig } from '@ddns/config';
import { dnsConfigSchema } from '../src/config';
import { Responder } from '../src/responder';
import { RCODE, TYPE } from '../src/wire/constants';
import { parseTsigKey, parseTsigKeys, signRequest, TSIG_ERROR, verifyRequest } from '../src/wire/tsig';
import { parseMessage } from '../src/wire/validate';
import { parseSecondary } from '../src/xfr/axfr';
import { addTestZone, makeQuery, testStore } from './helpers';

const key = parseTsigKey(`hmac-sha256:xfr.example:${randomBytes(32).toString('base64')}`);
const keys = new Map([[key.name, key]]);
const now = 1_800_000_000;

const verify = (buf: Buffer, at = now) => {
  const p = parseMessage(buf);
  if (!p.ok || !p.msg.tsig) throw new Error('not a signed message');
  return verifyRequest(buf, p.msg.tsig, keys, at);
};

describe('TSIG (RFC 8945) verification', () => {
  it('accepts what was signed with the key, within the fudge', () => {
    const signed = signRequest(makeQuery('dyn.test', TYPE.SOA), key, now);
    const v = verify(signed, now + 299);
    expect(v.ok).toBe(true);
  });

  it('refuses a tampered message, another secret, an unknown key and a stale time', () => {
    const signed = signRequest(makeQuery('dyn.test', TYPE.SOA), key, now);
    const tampered = Buffer.from(signed);
    tampered[13] = tampered[13]! ^ 0x20; // the question's first letter changes case
    expect(verify(tampered)).toMatchObject({ ok: false, error: TSIG_ERROR.BADSIG });
    const other = { ...key, secret: randomBytes(32) };
    expect(verify(signRequest(makeQuery('dyn.test', TYPE.SOA), other, now))).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADSIG,
    });
    const stranger = parseTsigKey(`hmac-sha256:stranger:${randomBytes(32).toString('base64')}`);
    expect(verify(signRequest(makeQuery('dyn.test', TYPE.SOA), stranger, now))).toMatchObject({
      ok: false,
      error: TSIG_ERROR.BADKEY,
    });
    expect(verify(signed, now + 301)).toMatchObject({ ok: false, error: TSIG_ERROR.BADTIME });
  });

  it('a TSIG record anywhere but last is malformed', () => {
    const signed = signRequest(makeQuery('dyn.test', TYPE.SOA, { edns: 1232 }), key, now);
    // move the OPT after the TSIG: same bytes, wrong order
    const q = makeQuery('dyn.test', TYPE.SOA);
    const opt = makeQuery('dyn.test', TYPE.SOA, { edns: 1232 }).subarray(q.length);
    const tsig = signed.subarray(q.length + opt.length);
    const reordered = Buffer.concat([q, tsig, opt]);
    reordered.writeUInt16BE(2, 10);
    expect(parseMessage(reordered).ok).toBe(false);
  });

  it('the responder answers a clock too far off with NOTAUTH/BADTIME, signed, and no data', () => {
    const store = testStore();
    addTestZone(store, 'dyn.test', [['www.dyn.test', 'A', '192.0.2.1']]);
    const r = new Responder(() => store, { tsigKeys: [key] });
    const stale = signRequest(makeQuery('www.dyn.test', TYPE.A), key, Math.floor(Date.now() / 1000) - 3600);
    const out = r.handle(stale, { address: '192.0.2.9', transport: 'udp' }) as Buffer;
    expect(out.readUInt16BE(2) & 0xf).toBe(RCODE.NOTAUTH);
    expect(out.readUInt16BE(6)).toBe(0);
    const fresh = signRequest(makeQuery('www.dyn.test', TYPE.A), key);
    const ok = r.handle(fresh, { address: '192.0.2.9', transport: 'udp' }) as Buffer;
    expect(ok.readUInt16BE(2) & 0xf).toBe(RCODE.NOERROR);
    expect(ok.readUInt16BE(6)).toBe(1);
    expect(parseMessage(ok).ok && parseMessage(ok).ok).toBe(true);
  });

  it('key lists: the dig -y format, algorithm optional, names unique', () => {
    const secret = randomBytes(32).toString('base64');
    expect(
      parseTsigKeys(`a:${secret}, hmac-sha512:B.example.:${secret}`).map((k) => [k.name, k.algorithm]),
    ).toEqual([
      ['a', 'hmac-sha256'],
      ['b.example', 'hmac-sha512'],
    ]);
    expect(() => parseTsigKeys(`a:${secret},a:${secret}`)).toThrow(/twice/);
    expect(() => parseTsigKey(`hmac-md5:a:${secret}`)).toThrow(/algorithm/);
    expect(() => parseTsigKey('a:c2hvcnQ=')).toThrow(/16 bytes/);
  });
});

describe('TSIG configuration', () => {
  const secret = randomBytes(32).toString('base64');
  const parse = (env: Record<string, string>) =>
    parseConfig(dnsConfigSchema, {
      DATABASE_URL: 'postgres://x@localhost/db',
      SECRETS_KEY: randomBytes(32).toString('hex'),
      ...env,
    });

  it('secondaries may name a key DNS_TSIG_KEYS defines', () => {
    const c = parse({
      DNS_TSIG_KEYS: `hmac-sha256:xfr:${secret}`,
      DNS_SECONDARIES: 'xfr@192.0.2.1, xfr@[2001:db8::53]:5300, 2001:db8::53, 198.51.100.7:53',
    });
    expect(c.DNS_SECONDARIES.map(parseSecondary)).toEqual([
      { host: '192.0.2.1', port: 53, key: 'xfr' },
      { host: '2001:db8::53', port: 5300, key: 'xfr' },
      { host: '2001:db8::53', port: 53 },
      { host: '198.51.100.7', port: 53 },
    ]);
  });

  it('an undefined key name or a malformed key is refused with a clear message', () => {
    expect(() => parse({ DNS_SECONDARIES: 'xfr@192.0.2.1' })).toThrow(
      /DNS_SECONDARIES names TSIG key "xfr", which DNS_TSIG_KEYS does not define/,
    );
    expect(() => parse({ DNS_TSIG_KEYS: 'xfr:not base64!' })).toThrow(/DNS_TSIG_KEYS must be/);
    expect(() => parse({ DNS_TSIG_KEYS: `hmac-md5:xfr:${secret}` })).toThrow(/DNS_TSIG_KEYS must be/);
  });
});

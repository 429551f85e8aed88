import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { compareNames, sortCanonical } from '../src/canonical';
import { keyTag, dnskeyRdata } from '../src/keys';
import { nameWire } from '../src/name';
import { bitmapTypes, nsecRdata, typeBitmap } from '../src/nsec';
import { rrsigHead, signedData, signRRset } from '../src/rrsig';

const epoch = (s: string) =>
  Date.UTC(
    +s.slice(0, 4),
    +s.slice(4, 6) - 1,
    +s.slice(6, 8),
    +s.slice(8, 10),
    +s.slice(10, 12),
    +s.slice(12),
  ) / 1000;

const mx = Buffer.concat([Buffer.from([0, 10]), nameWire('mail.example.com')]);

describe('signRRset', () => {
  it('reproduces the Ed25519 signature of RFC 8080 §6.1 (Ed25519 is deterministic)', () => {
    const pub = Buffer.from('l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=', 'base64');
    const privateKey = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from('ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=', 'base64').toString('base64url'),
        x: pub.toString('base64url'),
      },
      format: 'jwk',
    });
    const rdata = signRRset(
      { owner: 'example.com', type: 15, ttl: 3600, rdatas: [mx] },
      'example.com',
      { algorithm: 15, keyTag: keyTag(dnskeyRdata(257, 15, pub)), privateKey },
      { inception: 1438207200, expiration: 1440021600 },
    );
    expect(rdata.subarray(rdata.length - 64).toString('base64')).toBe(
      'oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3fx8A4M3e23mRZ9VrbpMngwcrqNAg==',
    );
    expect(rdata.readUInt16BE(16)).toBe(3613);
    expect(rdata[3]).toBe(2);
  });

  it('signs what the RFC 6605 §6.1 ECDSA signature signs (same signed data, verifiable)', () => {
    const xy = Buffer.from(
      'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
      'base64',
    );
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: xy.subarray(0, 32).toString('base64url'),
      y: xy.subarray(32).toString('base64url'),
    };
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const privateKey = createPrivateKey({
      key: {
        ...jwk,
        d: Buffer.from('GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=', 'base64').toString('base64url'),
      },
      format: 'jwk',
    });
    const rrset = { owner: 'www.example.net', type: 1, ttl: 3600, rdatas: [Buffer.from([192, 0, 2, 1])] };
    const key = { algorithm: 13 as const, keyTag: 55648, privateKey };
    const validity = { inception: epoch('20100812100439'), expiration: epoch('20100909100439') };
    const rfcSig = Buffer.from(
      'qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==',
      'base64',
    );
    const data = signedData(rrsigHead(rrset, 'example.net', key, validity), rrset);
    expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rfcSig)).toBe(true);
    const ours = signRRset(rrset, 'example.net', key, validity);
    expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, ours.subarray(-64))).toBe(
      true,
    );
  });

  it('wildcard owners count their labels without the *; duplicate RDATA is signed once', () => {
    const head = rrsigHead(
      { owner: '*.gw.example.com', type: 1, ttl: 60, rdatas: [] },
      'example.com',
      {
        algorithm: 15,
        keyTag: 1,
        privateKey: createPrivateKey({
          key: { kty: 'OKP', crv: 'Ed25519', d: 'A'.repeat(43), x: 'A'.repeat(43) },
          format: 'jwk',
        }),
      },
      { inception: 0, expiration: 1 },
    );
    expect(head[3]).toBe(3);
    const a = Buffer.from([1, 2, 3, 4]);
    const once = signedData(head, { owner: 'x', type: 1, ttl: 1, rdatas: [a] });
    expect(signedData(head, { owner: 'x', type: 1, ttl: 1, rdatas: [a, Buffer.from(a)] })).toEqual(once);
  });
});

describe('canonical order and NSEC', () => {
  it('orders names as RFC 4034 §6.1 does', () => {
    const ordered = [
      'example',
      'a.example',
      'yljkjljk.a.example',
      'z.a.example',
      'zabc.a.example',
      'z.example',
      '\u0001.z.example',
      '*.z.example',
    ];
    // (RFC's \200.z.example sorts last; our names are ASCII, so the order above is its ASCII part)
    const shuffled = [...ordered].reverse();
    expect(sortCanonical(shuffled)).toEqual(ordered);
    expect([...shuffled].sort(compareNames)).toEqual(ordered);
    expect(compareNames('A.example', 'a.example')).toBe(0);
  });

  it('type bit maps match RFC 4034 §4.3', () => {
    // alfa.example.com. NSEC host.example.com. A MX RRSIG NSEC TYPE1234
    const map = typeBitmap([1, 15, 46, 47, 1234]);
    expect(map.toString('hex')).toBe('0006400100000003' + '041b' + '00'.repeat(26) + '20');
    expect(bitmapTypes(map)).toEqual([1, 15, 46, 47, 1234]);
    expect(nsecRdata('host.example.com', [1]).subarray(0, 18)).toEqual(nameWire('host.example.com'));
  });
});

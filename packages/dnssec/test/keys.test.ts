import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import {
  dnskeyRdata,
  dsDigest,
  dsPresentation,
  generateZoneKey,
  keyTag,
  privateKeyObject,
  publicKeyField,
} from '../src/keys';

// RFC 6605 §6.1 (ECDSA P-256) and RFC 8080 §6.1 (Ed25519) examples.
const P256 = {
  zone: 'example.net',
  privateKey: 'GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=',
  publicKey: 'GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==',
  tag: 55648,
  digest: 'b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17',
};
const ED25519 = {
  zone: 'example.com',
  privateKey: 'ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=',
  publicKey: 'l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=',
  tag: 3613,
  digest: '3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b',
};

describe('RFC vectors', () => {
  it('algorithm 13: key tag, DS digest and DS line of RFC 6605', () => {
    const pub = Buffer.from(P256.publicKey, 'base64');
    const rdata = dnskeyRdata(257, 13, pub);
    expect(keyTag(rdata)).toBe(P256.tag);
    expect(dsDigest(P256.zone, rdata).toString('hex')).toBe(P256.digest);
    expect(dsDigest('Example.NET.', rdata).toString('hex')).toBe(P256.digest);
    expect(dsPresentation(P256.zone, { flags: 257, algorithm: 13, publicKey: pub })).toBe(
      `example.net. IN DS 55648 13 2 ${P256.digest.toUpperCase()}`,
    );
  });

  it('algorithm 15: key tag, DS digest and DS line of RFC 8080', () => {
    const pub = Buffer.from(ED25519.publicKey, 'base64');
    const rdata = dnskeyRdata(257, 15, pub);
    expect(keyTag(rdata)).toBe(ED25519.tag);
    expect(dsDigest(ED25519.zone, rdata).toString('hex')).toBe(ED25519.digest);
    expect(dsPresentation('example.com.', { flags: 257, algorithm: 15, publicKey: pub })).toBe(
      `example.com. IN DS 3613 15 2 ${ED25519.digest.toUpperCase()}`,
    );
  });

  it('the public-key field of the RFC private keys is the published one', () => {
    const xy = Buffer.from(P256.publicKey, 'base64');
    const ec = createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: Buffer.from(P256.privateKey, 'base64').toString('base64url'),
        x: xy.subarray(0, 32).toString('base64url'),
        y: xy.subarray(32).toString('base64url'),
      },
      format: 'jwk',
    });
    expect(publicKeyField(13, createPublicKey(ec)).toString('base64')).toBe(P256.publicKey);
    const ed = createPrivateKey({
      key: {
        kty: 'OKP',
        crv: 'Ed25519',
        d: Buffer.from(ED25519.privateKey, 'base64').toString('base64url'),
        x: Buffer.from(ED25519.publicKey, 'base64').toString('base64url'),
      },
      format: 'jwk',
    });
    expect(publicKeyField(15, createPublicKey(ed)).toString('base64')).toBe(ED25519.publicKey);
  });
});

describe('generateZoneKey', () => {
  it.each([13, 15] as const)(
    'algorithm %i: a CSK whose PEM signs what the public key verifies',
    (algorithm) => {
      const k = generateZoneKey(algorithm);
      expect(k.flags).toBe(257);
      expect(k.algorithm).toBe(algorithm);
      expect(k.publicKey.length).toBe(algorithm === 13 ? 64 : 32);
      expect(k.keyTag).toBe(keyTag(dnskeyRdata(257, algorithm, k.publicKey)));
      const priv = privateKeyObject(k.privateKeyPem);
      expect(publicKeyField(algorithm, createPublicKey(priv)).equals(k.publicKey)).toBe(true);
      const data = Buffer.from('data');
      const hash = algorithm === 13 ? 'sha256' : null;
      const sig = sign(hash, data, { key: priv, dsaEncoding: 'ieee-p1363' });
      expect(sig.length).toBe(64);
      expect(verify(hash, data, { key: createPublicKey(priv), dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    },
  );
});

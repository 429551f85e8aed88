import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { fqdn, nameWire } from './name';

/** 13 = ECDSA P-256 with SHA-256 (RFC 6605), 15 = Ed25519 (RFC 8080). */
export type DnssecAlgorithm = 13 | 15;

/** A new combined signing key (KSK+ZSK, flags 257): the DNSKEY public-key field and the private key as PKCS#8 PEM. */
export interface GeneratedKey {
  algorithm: DnssecAlgorithm;
  flags: 257;
  publicKey: Buffer;
  privateKeyPem: string;
  keyTag: number;
}

export function generateZoneKey(algorithm: DnssecAlgorithm): GeneratedKey {
  const pair =
    algorithm === 13
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : generateKeyPairSync('ed25519');
  const publicKey = publicKeyField(algorithm, pair.publicKey);
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    algorithm,
    flags: 257,
    publicKey,
    privateKeyPem,
    keyTag: keyTag(dnskeyRdata(257, algorithm, publicKey)),
  };
}

/** The DNSKEY public-key field of a key: P-256 x‖y (64 bytes, RFC 6605 §4), Ed25519 the 32-byte key (RFC 8080 §3). */
export function publicKeyField(algorithm: DnssecAlgorithm, key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (algorithm === 13) {
    if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new Error('not a P-256 key');
    return Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  }
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/** DNSKEY RDATA (RFC 4034 §2.1): flags, protocol 3, algorithm, public key. */
export function dnskeyRdata(flags: number, algorithm: DnssecAlgorithm, publicKey: Buffer): Buffer {
  const head = Buffer.from([flags >> 8, flags & 0xff, 3, algorithm]);
  return Buffer.concat([head, publicKey]);
}

/** Key tag of a DNSKEY RDATA (RFC 4034 Appendix B; not algorithm 1). */
export function keyTag(dnskeyRdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < dnskeyRdata.length; i++) ac += i & 1 ? dnskeyRdata[i]! : dnskeyRdata[i]! << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

/** DS digest type 2 (RFC 4509): SHA-256 over the owner name's canonical wire form and the DNSKEY RDATA. */
export function dsDigest(zoneName: string, dnskeyRdata: Buffer): Buffer {
  return createHash('sha256').update(nameWire(zoneName)).update(dnskeyRdata).digest();
}

/** DS RDATA (RFC 4034 §5.1) with digest type 2. */
export function dsRdata(
  zoneName: string,
  key: { flags: number; algorithm: DnssecAlgorithm; publicKey: Buffer },
): Buffer {
  const rdata = dnskeyRdata(key.flags, key.algorithm, key.publicKey);
  const tag = keyTag(rdata);
  return Buffer.concat([Buffer.from([tag >> 8, tag & 0xff, key.algorithm, 2]), dsDigest(zoneName, rdata)]);
}

/** The registrar-ready DS line: `zone. IN DS <tag> <alg> 2 <HEX>`. */
export function dsPresentation(
  zoneName: string,
  key: { flags: number; algorithm: DnssecAlgorithm; publicKey: Buffer },
): string {
  const rdata = dnskeyRdata(key.flags, key.algorithm, key.publicKey);
  const digest = dsDigest(zoneName, rdata).toString('hex').toUpperCase();
  return `${fqdn(zoneName.toLowerCase())} IN DS ${keyTag(rdata)} ${key.algorithm} 2 ${digest}`;
}

/** A private key from its PKCS#8 (or SEC1) PEM, ready for `crypto.sign`. */
export function privateKeyObject(pem: string): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

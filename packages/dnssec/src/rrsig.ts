import { sign, type KeyObject } from 'node:crypto';
import type { DnssecAlgorithm } from './keys';
import { nameWire, rrsigLabels } from './name';

/** A key that signs: what the RRSIG names (algorithm, tag) and the private key. */
export interface SigningKey {
  algorithm: DnssecAlgorithm;
  keyTag: number;
  privateKey: KeyObject;
}

/** One RRset to sign: owner (a wildcard owner for wildcard RRsets), type, original TTL, the RDATAs. */
export interface RRsetToSign {
  owner: string;
  type: number;
  ttl: number;
  /** RDATA in canonical form (names inside already lowercase and uncompressed) */
  rdatas: readonly Buffer[];
}

export interface Validity {
  /** seconds since the epoch */
  inception: number;
  expiration: number;
}

const CLASS_IN = 1;

/**
 * RRSIG RDATA (RFC 4034 §3.1) over an RRset: the RDATA fields, then the signature over those fields and the
 * RRset in canonical form and order (§3.1.8.1, §6.2, §6.3; duplicates dropped). ECDSA signatures are r‖s
 * (RFC 6605: `dsaEncoding: 'ieee-p1363'`), Ed25519 the 64-byte signature (RFC 8080).
 */
export function signRRset(rrset: RRsetToSign, zone: string, key: SigningKey, validity: Validity): Buffer {
  const head = rrsigHead(rrset, zone, key, validity);
  const data = signedData(head, rrset);
  const signature =
    key.algorithm === 13
      ? sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, data, key.privateKey);
  return Buffer.concat([head, signature]);
}

/** The RRSIG RDATA without the signature field. */
export function rrsigHead(rrset: RRsetToSign, zone: string, key: SigningKey, validity: Validity): Buffer {
  const signer = nameWire(zone);
  const head = Buffer.allocUnsafe(18 + signer.length);
  head.writeUInt16BE(rrset.type, 0);
  head[2] = key.algorithm;
  head[3] = rrsigLabels(rrset.owner);
  head.writeUInt32BE(rrset.ttl >>> 0, 4);
  head.writeUInt32BE(validity.expiration >>> 0, 8);
  head.writeUInt32BE(validity.inception >>> 0, 12);
  head.writeUInt16BE(key.keyTag, 16);
  signer.copy(head, 18);
  return head;
}

/** RRSIG fields ‖ each RR as owner|type|class|TTL|RDLENGTH|RDATA, sorted by RDATA, duplicates removed. */
export function signedData(head: Buffer, rrset: RRsetToSign): Buffer {
  const owner = nameWire(rrset.owner);
  const sorted = [...rrset.rdatas].sort(Buffer.compare);
  const parts: Buffer[] = [head];
  let prev: Buffer | null = null;
  for (const rdata of sorted) {
    if (prev && prev.equals(rdata)) continue;
    prev = rdata;
    const fixed = Buffer.allocUnsafe(10);
    fixed.writeUInt16BE(rrset.type, 0);
    fixed.writeUInt16BE(CLASS_IN, 2);
    fixed.writeUInt32BE(rrset.ttl >>> 0, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(owner, fixed, rdata);
  }
  return Buffer.concat(parts);
}

/** The fields of an RRSIG RDATA a server needs back (type covered, validity). */
export function rrsigFields(rdata: Buffer): { typeCovered: number; expiration: number; inception: number } {
  return {
    typeCovered: rdata.readUInt16BE(0),
    expiration: rdata.readUInt32BE(8),
    inception: rdata.readUInt32BE(12),
  };
}

import type { RecordType } from '@ddns/db';
import { checkContent } from '@ddns/records';
import { TYPE } from '../wire/constants';
import {
  encodeA,
  encodeAAAA,
  encodeCaa,
  encodeMx,
  encodeSrv,
  encodeTxt,
  nameToWire,
  RdataError,
} from '../wire/rdata';

/** A record as the store keeps it: RDATA already encoded, plus the name it points at (for chasing/glue). */
export interface StoredRR {
  type: number;
  ttl: number;
  rdata: Buffer;
  /** CNAME/NS/MX/SRV target, lowercase */
  target?: string;
}

export interface RecordRow {
  name: string;
  type: RecordType;
  content: string;
  ttl: number;
}

/** Validates a row's content (the same rules as the API) and encodes its RDATA; null when it is unusable. */
export function encodeRecord(row: RecordRow): StoredRR | null {
  const c = checkContent(row.type, row.content);
  if (!c.ok) return null;
  const v = c.content;
  const ttl = row.ttl;
  try {
    switch (row.type) {
      case 'A':
        return { type: TYPE.A, ttl, rdata: encodeA(v) };
      case 'AAAA':
        return { type: TYPE.AAAA, ttl, rdata: encodeAAAA(v) };
      case 'CNAME':
        return { type: TYPE.CNAME, ttl, rdata: nameToWire(v), target: v };
      case 'NS':
        return { type: TYPE.NS, ttl, rdata: nameToWire(v), target: v };
      case 'TXT':
        return { type: TYPE.TXT, ttl, rdata: encodeTxt(v) };
      case 'MX': {
        const [pref, host] = v.split(' ') as [string, string];
        return { type: TYPE.MX, ttl, rdata: encodeMx(Number(pref), host), target: host };
      }
      case 'SRV': {
        const [prio, weight, port, host] = v.split(' ') as [string, string, string, string];
        return {
          type: TYPE.SRV,
          ttl,
          rdata: encodeSrv(Number(prio), Number(weight), Number(port), host),
          target: host,
        };
      }
      case 'CAA': {
        const m = /^(\d+) (\S+) "(.*)"$/.exec(v);
        if (!m) return null;
        return { type: TYPE.CAA, ttl, rdata: encodeCaa(Number(m[1]), m[2]!, m[3]!) };
      }
      default:
        return null;
    }
  } catch (err) {
    if (err instanceof RdataError) return null;
    throw err;
  }
}

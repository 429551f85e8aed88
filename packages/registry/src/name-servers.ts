import { isIP } from 'node:net';
import { isHostname, normalizeName } from '@ddns/records';
import { OpError } from './errors';

export interface NameServer {
  host: string;
  /** glue address, required when the host is inside the zone */
  ip?: string;
}

/** Parses `HOST=IP` or `HOST` (the CLI's --ns). */
export function parseNameServer(arg: string): NameServer {
  const [host, ip] = arg.split('=');
  const h = normalizeName(host ?? '');
  if (!isHostname(h)) throw new OpError(`--ns ${arg}: "${host}" is not a host name`);
  if (ip !== undefined && isIP(ip) === 0) throw new OpError(`--ns ${arg}: "${ip}" is not an IP address`);
  return ip ? { host: h, ip } : { host: h };
}

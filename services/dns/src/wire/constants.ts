/** DNS numbers used across the responder (RFC 1035, 3596, 2782, 6891, 8659). */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  CDS: 59,
  CDNSKEY: 60,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const OPCODE = { QUERY: 0, NOTIFY: 4 } as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  NOTAUTH: 9,
  /** extended (EDNS) rcode 16: its upper 8 bits go in the OPT TTL */
  BADVERS: 16,
} as const;

export const RCODE_NAME: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  9: 'NOTAUTH',
  16: 'BADVERS',
};

export const TYPE_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(TYPE).map(([k, v]) => [v, k]),
) as Record<number, string>;

/** Classic UDP limit without EDNS (RFC 1035 4.2.1). */
export const UDP_CLASSIC = 512;
/** The largest UDP payload DNS_UDP_MAX_PAYLOAD may allow. */
export const UDP_MAX = 4096;
/**
 * Default cap on UDP replies whatever the requestor advertises (DNS Flag Day 2020, as NSD, Knot and PowerDNS):
 * fits an IPv6 minimum-MTU packet unfragmented and bounds amplification; larger answers truncate to TCP.
 */
export const UDP_DEFAULT_PAYLOAD = 1232;
export const TCP_MAX = 65535;
export const HEADER_LEN = 12;

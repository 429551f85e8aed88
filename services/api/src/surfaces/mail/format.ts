import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isHostname, normalizeName } from '@ddns/records';

/**
 * The mail surface's pure parsing and formatting: request parameters, mail addresses, the records a mail
 * domain publishes, the DKIM TXT value, and the checks on an uploaded certificate. No I/O here.
 */

/** DKIM selector (the original system used `mail`). */
export const DKIM_SELECTOR = 'mail';
export const MX_PREFERENCE = 10;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/** The JSON body of every failure: `{"result":false,"msg":"…"}`. */
export interface Failure {
  result: false;
  msg: string;
}

export function failure(msg: string): Failure {
  return { result: false, msg };
}

/** First non-empty string among `names` in the body, then the query (form-data, urlencoded or JSON). */
export function param(body: unknown, query: unknown, ...names: string[]): string | undefined {
  for (const source of [body, query]) {
    if (!source || typeof source !== 'object') continue;
    const rec = source as Record<string, unknown>;
    for (const n of names) {
      const v = rec[n];
      const s = Array.isArray(v) ? (v[0] as unknown) : v;
      if (typeof s === 'string' && s.trim() !== '') return s;
      if (typeof s === 'number') return String(s);
    }
  }
  return undefined;
}

/** A positive integer id from a path or form parameter, or null. */
export function parseId(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,9}$/.test(v.trim())) return null;
  const n = Number(v.trim());
  return n > 0 ? n : null;
}

/** A mail domain name: a host name, lowercase, no trailing dot. */
export function parseDomainName(v: string | undefined): string | null {
  if (v === undefined) return null;
  const n = normalizeName(v);
  return isHostname(n) ? n : null;
}

const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export interface MailAddress {
  localPart: string;
  domain: string;
  email: string;
}

/**
 * A mailbox address. `value` may be a full address or, when `domain` is given, a bare local part.
 * Lowercased; the local part is dot-atom (RFC 5322) of at most 64 characters.
 */
export function parseMailAddress(value: string | undefined, domain?: string): MailAddress | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  const at = v.lastIndexOf('@');
  const localPart = at < 0 ? v : v.slice(0, at);
  const dom = at < 0 ? domain : parseDomainName(v.slice(at + 1));
  if (!dom || localPart.length === 0 || localPart.length > 64 || !LOCAL_PART.test(localPart)) return null;
  return { localPart, domain: dom, email: `${localPart}@${dom}` };
}

/** Why a mailbox password is refused, or null when it is acceptable. */
export function passwordProblem(p: string | undefined): string | null {
  if (p === undefined || p === '') return 'password is required';
  if (p.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (p.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

export interface PlannedRecord {
  name: string;
  type: 'MX' | 'TXT';
  content: string;
}

/** What a new mail domain publishes: MX to the mail host, SPF and DMARC. */
export function mailDomainRecords(domain: string, mailHost: string): PlannedRecord[] {
  return [
    { name: domain, type: 'MX', content: `${MX_PREFERENCE} ${normalizeName(mailHost)}` },
    { name: domain, type: 'TXT', content: 'v=spf1 mx ~all' },
    { name: `_dmarc.${domain}`, type: 'TXT', content: `v=DMARC1; p=quarantine; adkim=r; aspf=r` },
  ];
}

/** `mail._domainkey.<domain>` */
export function dkimRecordName(domain: string, selector = DKIM_SELECTOR): string {
  return `${selector}._domainkey.${domain}`;
}

/** The DKIM TXT value for a base64 DER SubjectPublicKeyInfo. */
export function dkimTxtValue(publicKeyB64: string): string {
  return `v=DKIM1; k=rsa; p=${publicKeyB64}`;
}

/** A TXT value as the 255-byte character-strings DNS carries it in one record. */
export function splitTxt(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255).toString('utf8'));
  return out.length ? out : [''];
}

/** Zone-file form of one TXT record: `name. 3600 IN TXT ( "…" "…" )`. */
export function txtZoneLine(name: string, value: string, ttl: number): string {
  const strings = splitTxt(value).map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return `${name}. ${ttl} IN TXT ( ${strings.join(' ')} )`;
}

/** Whole days from `now` until `notAfter` (negative once expired). */
export function daysLeft(notAfter: Date, now: Date = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
}

// ---- uploaded certificates -------------------------------------------------------------------------------

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface CheckedCertificate {
  /** the leaf certificate, PEM */
  certPem: string;
  /** intermediates in order (leaf's issuer first), PEM, newline separated; '' when none */
  chainPem: string;
  /** the private key, PKCS#8 PEM */
  keyPem: string;
  /** DNS names the leaf covers (SAN, else CN), lowercase */
  names: string[];
  notBefore: Date;
  notAfter: Date;
}

export type CertificateCheck = { ok: true; cert: CheckedCertificate } | { ok: false; msg: string };

/** DNS names a certificate covers: its subjectAltName DNS entries, or its CN when it has none. */
export function certificateNames(x: X509Certificate): string[] {
  const san = x.subjectAltName;
  if (san) {
    const names = san
      .split(/,\s*/)
      .filter((p) => p.startsWith('DNS:'))
      .map((p) => normalizeName(p.slice(4)));
    if (names.length) return [...new Set(names)];
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return cn ? [normalizeName(cn)] : [];
}

/**
 * Checks an uploaded certificate (leaf first, then its chain in order) and its key: the PEM parses, the key
 * matches the leaf, the leaf is valid at `now`, and each certificate is issued and signed by the next.
 */
export function checkUploadedCertificate(
  certText: string | undefined,
  keyText: string | undefined,
  now: Date = new Date(),
): CertificateCheck {
  if (!certText) return { ok: false, msg: 'ssl_certificate is required' };
  if (!keyText) return { ok: false, msg: 'ssl_certificate_key is required' };
  const blocks = certText.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { ok: false, msg: 'ssl_certificate is not a PEM certificate' };
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch {
    return { ok: false, msg: 'ssl_certificate contains a certificate that cannot be parsed' };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyText);
  } catch {
    return { ok: false, msg: 'ssl_certificate_key is not a PEM private key' };
  }
  const leaf = certs[0]!;
  if (!leaf.checkPrivateKey(key))
    return { ok: false, msg: 'ssl_certificate_key does not match the certificate' };
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime())
    return { ok: false, msg: `the certificate expired on ${notAfter.toISOString()}` };
  if (notBefore.getTime() > now.getTime())
    return { ok: false, msg: `the certificate is not valid before ${notBefore.toISOString()}` };
  for (let i = 0; i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = certs[i + 1]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey))
      return {
        ok: false,
        msg: `the certificate chain is out of order: certificate ${i + 1} is not issued by certificate ${i + 2} (give the server certificate first, then each issuer)`,
      };
  }
  const names = certificateNames(leaf);
  if (names.length === 0) return { ok: false, msg: 'the certificate names no host' };
  return {
    ok: true,
    cert: {
      certPem: blocks[0]! + '\n',
      chainPem: blocks
        .slice(1)
        .map((b) => b + '\n')
        .join(''),
      keyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      names,
      notBefore,
      notAfter,
    },
  };
}

/** True when `hostname` is `domain` or inside it. */
export function isUnder(hostname: string, domain: string): boolean {
  return hostname === domain || hostname.endsWith(`.${domain}`);
}

/** A certificate name may be a wildcard (`*.example.com`): the host it stands for, for ownership checks. */
export function baseOfName(name: string): string {
  return name.startsWith('*.') ? name.slice(2) : name;
}

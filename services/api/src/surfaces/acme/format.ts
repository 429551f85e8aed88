/**
 * lego's `httpreq` DNS provider wire format, pure. Default mode: `{"fqdn":"_acme-challenge.x.zone.","value":"…"}`.
 * RAW mode (HTTPREQ_MODE=RAW): `{"domain":"x.zone","token":"…","keyAuth":"…"}`, from which the TXT value is
 * derived as ACME does (base64url of the SHA-256 of the key authorisation, RFC 8555 §8.4).
 */
import { createHash } from 'node:crypto';
import { isOwnerName, normalizeName } from '@ddns/records';

export const ACME_BASE = '/acme/httpreq';
export const CHALLENGE_LABEL = '_acme-challenge';

export interface Challenge {
  /** the TXT owner name, normalised: `_acme-challenge.<domain>` */
  name: string;
  value: string;
}

const VALUE = /^[A-Za-z0-9_-]{1,255}$/;

export function parseChallenge(
  body: unknown,
): { ok: true; challenge: Challenge } | { ok: false; error: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, error: 'expected a JSON object' };
  const b = body as Record<string, unknown>;
  let name: string;
  let value: string;
  if (typeof b.fqdn === 'string' && typeof b.value === 'string') {
    name = normalizeName(b.fqdn);
    value = b.value;
  } else if (typeof b.domain === 'string' && typeof b.keyAuth === 'string') {
    const domain = normalizeName(b.domain).replace(/^\*\./, '');
    name = `${CHALLENGE_LABEL}.${domain}`;
    value = createHash('sha256').update(b.keyAuth, 'utf8').digest('base64url');
  } else {
    return { ok: false, error: 'expected {"fqdn","value"} (or {"domain","token","keyAuth"} in RAW mode)' };
  }
  if (!isOwnerName(name)) return { ok: false, error: `"${name}" is not a valid name` };
  if (!name.startsWith(`${CHALLENGE_LABEL}.`))
    return { ok: false, error: `only ${CHALLENGE_LABEL} names can be set through this endpoint` };
  if (!VALUE.test(value)) return { ok: false, error: 'the value must be 1-255 base64url characters' };
  return { ok: true, challenge: { name, value } };
}

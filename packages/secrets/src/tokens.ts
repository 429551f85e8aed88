import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A new random secret: 32 bytes as URL-safe base64 (43 chars). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A new lowercase UUIDv4 (gateway tokens: the gateway's UI checks this form). */
export function newUuidToken(): string {
  return randomUUID();
}

/** How random tokens and keys are stored: SHA-256, lowercase hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token against a stored SHA-256 hex hash. */
export function tokenMatches(token: string, storedHash: string | null | undefined): boolean {
  if (!token || !storedHash) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

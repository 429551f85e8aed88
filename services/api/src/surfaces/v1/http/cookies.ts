import type { Request, Response } from 'express';
import { SESSION_LIMITS } from '@ddns/registry';

export const SESSION_COOKIE = 'ddns_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The value of one cookie of the request (no cookie-parser needed for one name). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Secure unless the request came over plain HTTP and PUBLIC_URL is plain http (the dev exception:
 * `pnpm dev` on http://localhost; browsers refuse Secure cookies on plain HTTP except on localhost).
 */
function secure(req: Request, publicUrl: string): boolean {
  return req.secure || publicUrl.startsWith('https:');
}

export function setSessionCookie(req: Request, res: Response, token: string, publicUrl: string): void {
  const attrs = [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${SESSION_LIMITS.absoluteSeconds}`,
  ];
  if (secure(req, publicUrl)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

export function clearSessionCookie(req: Request, res: Response, publicUrl: string): void {
  const attrs = [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0'];
  if (secure(req, publicUrl)) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

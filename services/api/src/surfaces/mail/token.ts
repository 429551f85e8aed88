import { errors, jwtVerify, SignJWT } from 'jose';

/** Auth-token lifetime: 30 minutes, as the original system's tokens. */
export const TOKEN_TTL_SECONDS = 30 * 60;
const AUDIENCE = 'ddns-mail';

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** A HS256 JWT naming the account (`sub`) and its e-mail (`username`), valid for 30 minutes. */
export async function issueMailToken(
  secret: string,
  account: { id: number; email: string },
  now: Date = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ username: account.email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(account.id))
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + TOKEN_TTL_SECONDS)
    .sign(key(secret));
}

export type TokenCheck = { ok: true; accountId: number } | { ok: false; msg: string };

/**
 * Verifies an Auth-token: signature, algorithm, audience and expiry. `exp` and `iat` are required and the token may not
 * live longer than we issue them for, so a token minted without an expiry (or a long one) never works.
 */
export async function verifyMailToken(secret: string, token: string | undefined): Promise<TokenCheck> {
  if (!token) return { ok: false, msg: 'Auth-token header is missing' };
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      audience: AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub'],
      maxTokenAge: TOKEN_TTL_SECONDS,
    });
    if (
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      payload.exp - payload.iat > TOKEN_TTL_SECONDS
    )
      return { ok: false, msg: 'Auth-token is not valid' };
    const id = Number(payload.sub);
    if (!Number.isInteger(id) || id <= 0) return { ok: false, msg: 'Auth-token is not valid' };
    return { ok: true, accountId: id };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, msg: 'Auth-token has expired' };
    return { ok: false, msg: 'Auth-token is not valid' };
  }
}

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The proof of work of open sign-up (no third party): the server hands out a signed, expiring challenge;
 * the client finds a nonce such that SHA-256(`challenge:nonce`) starts with `difficulty` zero bits
 * (2^difficulty hashes on average). Stateless: the API makes each challenge single-use with Redis.
 */
export interface PowChallengeValue {
  challenge: string;
  difficulty: number;
  expiresAt: Date;
}

const sign = (key: string, body: string) =>
  createHmac('sha256', `ddns-pow-v1:${key}`).update(body, 'utf8').digest('base64url');

export function makePowChallenge(key: string, difficulty: number, ttlSeconds: number, now = new Date()) {
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const body = `${difficulty}.${Math.floor(expiresAt.getTime() / 1000)}.${randomBytes(12).toString('base64url')}`;
  return { challenge: `${body}.${sign(key, body)}`, difficulty, expiresAt } satisfies PowChallengeValue;
}

function leadingZeroBits(buf: Buffer): number {
  let n = 0;
  for (const b of buf) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** Null when the solution holds, else why not. Pure (single use is the caller's part). */
export function checkPowSolution(
  key: string,
  challenge: string,
  nonce: string,
  minDifficulty: number,
  now = new Date(),
): string | null {
  const parts = challenge.split('.');
  if (parts.length !== 4) return 'not a challenge of this server';
  const [d, exp, rnd, mac] = parts as [string, string, string, string];
  const body = `${d}.${exp}.${rnd}`;
  const want = Buffer.from(sign(key, body));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'not a challenge of this server';
  if (Number(exp) * 1000 <= now.getTime()) return 'the challenge expired: ask for a new one';
  const difficulty = Number(d);
  if (!(difficulty >= minDifficulty)) return 'the challenge is too easy: ask for a new one';
  if (!/^\d{1,20}$/.test(nonce)) return 'the nonce must be decimal digits';
  const h = createHash('sha256').update(`${challenge}:${nonce}`, 'utf8').digest();
  return leadingZeroBits(h) >= difficulty ? null : 'the proof of work does not hold';
}

/** Finds a nonce (tests and scripted clients). */
export function solvePow(challenge: string, difficulty: number): string {
  for (let i = 0; ; i++) {
    const h = createHash('sha256').update(`${challenge}:${i}`, 'utf8').digest();
    if (leadingZeroBits(h) >= difficulty) return String(i);
  }
}

import {
  base32Decode,
  base32Encode,
  checkPowSolution,
  hotp,
  makePowChallenge,
  matchTotp,
  solvePow,
  totpStep,
} from '@ddns/registry';

describe('TOTP (RFC 6238, SHA-1, 6 digits)', () => {
  const key = Buffer.from('12345678901234567890');

  test('the RFC 6238 appendix B vectors (last six digits)', () => {
    const at = (s: number) => hotp(key, totpStep(new Date(s * 1000)));
    expect(at(59)).toBe('287082');
    expect(at(1111111109)).toBe('081804');
    expect(at(1234567890)).toBe('005924');
    expect(at(2000000000)).toBe('279037');
  });

  test('base32 round trip', () => {
    expect(base32Encode(key)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(key);
  });

  test('a code matches its step or a neighbour, never a step already used', () => {
    const secret = base32Encode(key);
    const now = new Date(1234567890 * 1000);
    const step = totpStep(now);
    expect(matchTotp(secret, hotp(key, step), now, null)).toBe(step);
    expect(matchTotp(secret, hotp(key, step - 1), now, null)).toBe(step - 1);
    expect(matchTotp(secret, hotp(key, step - 2), now, null)).toBeNull();
    expect(matchTotp(secret, hotp(key, step), now, step)).toBeNull();
    expect(matchTotp(secret, 'abcdef', now, null)).toBeNull();
  });
});

describe('sign-up proof of work', () => {
  test('a solved challenge holds; a forged, expired or too easy one does not', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const c = makePowChallenge('k', 6, 600, now);
    const nonce = solvePow(c.challenge, 6);
    expect(checkPowSolution('k', c.challenge, nonce, 6, now)).toBeNull();
    expect(checkPowSolution('other-key', c.challenge, nonce, 6, now)).toMatch(/not a challenge/);
    expect(checkPowSolution('k', c.challenge, nonce, 6, new Date(now.getTime() + 601_000))).toMatch(
      /expired/,
    );
    expect(checkPowSolution('k', c.challenge, nonce, 8, now)).toMatch(/too easy/);
    expect(checkPowSolution('k', c.challenge.replace(/^6/, '1'), nonce, 1, now)).toMatch(/not a challenge/);
    expect(checkPowSolution('k', 'garbage', '1', 1, now)).toMatch(/not a challenge/);
  });
});

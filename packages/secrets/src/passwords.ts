import { hash, verify } from '@node-rs/argon2';

/** 2 = Algorithm.Argon2id (a const enum, which isolated modules cannot read). OWASP-recommended cost. */
const PARAMS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** argon2id PHC string (`$argon2id$v=19$m=...`). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

/** Verifies a password against a PHC string, with or without Dovecot's `{ARGON2ID}` prefix. */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored || !password) return false;
  const phc = stored.startsWith('{ARGON2ID}') ? stored.slice('{ARGON2ID}'.length) : stored;
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** Mailbox hash in the form Dovecot's SQL passdb verifies: `{ARGON2ID}$argon2id$...`. */
export async function hashMailboxPassword(password: string): Promise<string> {
  return `{ARGON2ID}${await hashPassword(password)}`;
}

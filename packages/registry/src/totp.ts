import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, Db } from '@ddns/db';
import { decryptSecret, encryptSecret, hashToken } from '@ddns/secrets';
import { OpError } from './errors';

/** RFC 6238 with the parameters every authenticator app supports: SHA-1, 6 digits, 30 s. */
export const TOTP = { digits: 6, periodSeconds: 30, window: 1, recoveryCodes: 10 } as const;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(s: string): Buffer {
  const clean = s.toUpperCase().replace(/[\s=]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of clean) {
    const i = B32.indexOf(c);
    if (i < 0) throw new Error('not base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 HOTP of one counter value (RFC 6238: counter = time step). Pure. */
export function hotp(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(off) & 0x7fffffff) % 10 ** TOTP.digits;
  return bin.toString().padStart(TOTP.digits, '0');
}

export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP.periodSeconds);
}

/**
 * The time step a code matches (now ± one step for clock drift), or null. A step at or below `lastStep` is
 * refused: each code works once.
 */
export function matchTotp(
  secretB32: string,
  code: string,
  now: Date,
  lastStep: number | null,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const key = base32Decode(secretB32);
  const step = totpStep(now);
  for (let d = -TOTP.window; d <= TOTP.window; d++) {
    const s = step + d;
    if (lastStep !== null && s <= lastStep) continue;
    if (timingSafeEqual(Buffer.from(hotp(key, s)), Buffer.from(code))) return s;
  }
  return null;
}

export function otpauthUri(secretB32: string, account: string, issuer: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  return `otpauth://totp/${label}?secret=${secretB32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

const normRecovery = (c: string) => c.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Starts an enrolment: a new secret, kept aside (encrypted) until a code from it confirms it. */
export async function startTotp(
  db: Db,
  account: Pick<Account, 'id' | 'email'>,
  secretsKey: string,
  issuer: string,
): Promise<{ secret: string; uri: string }> {
  const secret = base32Encode(randomBytes(20));
  await db
    .updateTable('accounts')
    .set({ totp_pending_enc: encryptSecret(secret, secretsKey) })
    .where('id', '=', account.id)
    .execute();
  return { secret, uri: otpauthUri(secret, account.email, issuer) };
}

/** Turns TOTP on with a code of the pending secret; returns fresh recovery codes (shown once, stored hashed). */
export async function confirmTotp(
  db: Db,
  accountId: number,
  code: string,
  secretsKey: string,
  now = new Date(),
): Promise<string[]> {
  const a = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  if (!a.totp_pending_enc) throw new OpError('start the TOTP enrolment first');
  const secret = decryptSecret(a.totp_pending_enc, secretsKey);
  const step = matchTotp(secret, code.trim(), now, null);
  if (step === null) throw new OpError('the code does not match: check the clock of the device');
  const codes = Array.from({ length: TOTP.recoveryCodes }, () => {
    const h = randomBytes(8).toString('hex');
    return `${h.slice(0, 4)}-${h.slice(4, 8)}-${h.slice(8, 12)}-${h.slice(12)}`;
  });
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ totp_secret_enc: a.totp_pending_enc, totp_pending_enc: null, totp_last_step: step })
      .where('id', '=', accountId)
      .execute();
    await trx.deleteFrom('totp_recovery_codes').where('account_id', '=', accountId).execute();
    await trx
      .insertInto('totp_recovery_codes')
      .values(codes.map((c) => ({ account_id: accountId, code_hash: hashToken(normRecovery(c)) })))
      .execute();
  });
  return codes;
}

export async function disableTotp(db: Db, accountId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ totp_secret_enc: null, totp_pending_enc: null, totp_last_step: null })
      .where('id', '=', accountId)
      .execute();
    await trx.deleteFrom('totp_recovery_codes').where('account_id', '=', accountId).execute();
  });
}

/**
 * Checks a second factor: a TOTP code (each works once) or an unused recovery code (then used up). An
 * account without TOTP passes.
 */
export async function checkSecondFactor(
  db: Db,
  account: Pick<Account, 'id' | 'totp_secret_enc'>,
  code: string,
  secretsKey: string,
  now = new Date(),
): Promise<boolean> {
  if (!account.totp_secret_enc) return true;
  const c = code.trim();
  if (!c) return false;
  if (/^\d{6}$/.test(c)) {
    return db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('accounts')
        .select(['totp_secret_enc', 'totp_last_step'])
        .where('id', '=', account.id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (!row.totp_secret_enc) return true;
      const last = row.totp_last_step === null ? null : Number(row.totp_last_step);
      const step = matchTotp(decryptSecret(row.totp_secret_enc, secretsKey), c, now, last);
      if (step === null) return false;
      await trx.updateTable('accounts').set({ totp_last_step: step }).where('id', '=', account.id).execute();
      return true;
    });
  }
  const r = await db
    .updateTable('totp_recovery_codes')
    .set({ used_at: now })
    .where('account_id', '=', account.id)
    .where('code_hash', '=', hashToken(normRecovery(c)))
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for private keys (DKIM, certificates): AES-256-GCM with a key derived from SECRETS_KEY.
 * Output: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
function deriveKey(secretsKey: string): Buffer {
  if (!secretsKey) throw new Error('SECRETS_KEY is empty');
  return createHash('sha256').update(`ddns-secrets-v1:${secretsKey}`).digest();
}

export function encryptSecret(plain: string, secretsKey: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', deriveKey(secretsKey), iv);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
}

export function decryptSecret(enc: string, secretsKey: string): string {
  const [v, iv, tag, ct] = enc.split(':');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not an encrypted secret');
  const d = createDecipheriv('aes-256-gcm', deriveKey(secretsKey), Buffer.from(iv, 'base64'));
  d.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
}

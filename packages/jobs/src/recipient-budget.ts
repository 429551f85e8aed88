import { createHash } from 'node:crypto';
import type { EmailTemplate } from './queues';

export interface RecipientWindow {
  limit: number;
  windowSeconds: number;
}

/**
 * How many mails one recipient address gets, whoever asked for them (issue 12: nobody can bomb an inbox).
 * Verification mails go to addresses nobody has confirmed yet, so they have the tightest budget; every mail
 * (verification mails included) also counts against the general one.
 */
export const RECIPIENT_LIMITS: Record<'verification' | 'any', RecipientWindow[]> = {
  verification: [
    { limit: 3, windowSeconds: 3600 },
    { limit: 5, windowSeconds: 86400 },
  ],
  any: [
    { limit: 20, windowSeconds: 3600 },
    { limit: 100, windowSeconds: 86400 },
  ],
};

/** Mails to addresses that may not belong to whoever asked: the tight budget. */
const VERIFICATION_TEMPLATES: readonly EmailTemplate[] = [
  'verify-email',
  'account-verify',
  'account-email-change',
  'password-reset',
  'account-invite',
];

/** The budgets a mail of `template` counts against. */
export function recipientWindows(template: EmailTemplate): { name: string; window: RecipientWindow }[] {
  const out = RECIPIENT_LIMITS.any.map((window) => ({ name: 'any', window }));
  if (VERIFICATION_TEMPLATES.includes(template))
    out.unshift(...RECIPIENT_LIMITS.verification.map((window) => ({ name: 'verification', window })));
  return out;
}

/** A recipient address as limits key it: a hash of the trimmed, lowercased address (no address in Redis). */
export function recipientKey(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase(), 'utf8').digest('hex').slice(0, 32);
}

/** The one command RecipientBudget needs (an ioredis client fits). */
export interface EvalClient {
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

// KEYS[1]: a marker of this mail (empty name: none); KEYS[2..]: counters. ARGV[1]: marker TTL (ms);
// ARGV[2i], ARGV[2i+1]: limit and window (ms) of KEYS[i+1]. All or nothing: 1 admitted, 0 over a limit.
const ADMIT = `
if KEYS[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
for i = 2, #KEYS do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  if c >= tonumber(ARGV[2 * (i - 1)]) then return 0 end
end
for i = 2, #KEYS do
  local c = redis.call('INCR', KEYS[i])
  if c == 1 or redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2 * (i - 1) + 1]) end
end
if KEYS[1] ~= '' then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1`;

/**
 * Per-recipient mail budgets in Redis under `<prefix>:mail-budget:<stage>:`. The mailer admits each mail
 * once before sending it (stage `sent`, marked by job id so a retry is not counted twice); a surface that
 * queues mail on request asks first (stage `asked`) to answer 429 instead of queueing a mail that would be
 * dropped.
 */
export class RecipientBudget {
  constructor(
    private readonly redis: EvalClient,
    private readonly prefix: string,
  ) {}

  /** Counts one mail of `template` to `to`; false when any budget is used up (nothing is counted then). */
  async admit(
    stage: 'asked' | 'sent',
    to: string,
    template: EmailTemplate,
    mailId?: string,
  ): Promise<boolean> {
    const base = `${this.prefix}:mail-budget:${stage}`;
    const who = recipientKey(to);
    const windows = recipientWindows(template);
    const keys = [
      mailId ? `${base}:mail:${mailId}` : '',
      ...windows.map((w) => `${base}:${w.name}:${w.window.windowSeconds}:${who}`),
    ];
    const args = windows.flatMap((w) => [w.window.limit, w.window.windowSeconds * 1000]);
    const r = await this.redis.eval(ADMIT, keys.length, ...keys, 2 * 86400 * 1000, ...args);
    return r === 1;
  }
}

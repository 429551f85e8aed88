import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LimitsUnavailableError } from './redis-limits';
import { sourceNetwork } from './source-network';

/**
 * Failed-authentication budgets (deSEC's model: per source network and per account, and the right secret from
 * an unthrottled source always gets in). Windows are fixed: a budget used up stays used up until its window
 * ends, and a refused attempt is not counted (nothing was checked).
 */
export const AUTH_THROTTLE = {
  /** password failures from one source network, whatever the account (a spray over many names) */
  loginFailuresPerNetwork: 20,
  /** password failures from one source network against one account (guessing one password) */
  loginFailuresPerNetworkAccount: 5,
  loginWindowSeconds: 600,
  /**
   * password failures against one account from all networks together; beyond it only networks the account
   * signed in from before (within knownNetworkDays) may still try, so a distributed guess stays slow while
   * the owner at home still gets in
   */
  loginFailuresPerAccount: 50,
  accountWindowSeconds: 3600,
  knownNetworkDays: 30,
  /** wrong tokens / API keys from one source network (they cannot be guessed; this bounds the load) */
  tokenFailuresPerNetwork: 30,
  tokenWindowSeconds: 600,
} as const;

export type ThrottleReason = 'network' | 'account-network' | 'account';

/** `{ retryAfter: 0 }`: go ahead; otherwise refuse without checking the secret. */
export interface ThrottleVerdict {
  retryAfter: number;
  reason?: ThrottleReason;
}

// KEYS: network counter, pair counter, account counter, known networks (zset); ARGV: limits, network
const CHECK = `
local function over(key, limit)
  local c = tonumber(redis.call('GET', key) or '0')
  if c >= tonumber(limit) then
    local t = redis.call('PTTL', key)
    if t < 1 then t = 1000 end
    return t
  end
  return 0
end
local t = over(KEYS[2], ARGV[2])
if t > 0 then return {t, 'account-network'} end
t = over(KEYS[1], ARGV[1])
if t > 0 then return {t, 'network'} end
t = over(KEYS[3], ARGV[3])
if t > 0 and not redis.call('ZSCORE', KEYS[4], ARGV[4]) then return {t, 'account'} end
return {0, ''}`;

// KEYS: counters; ARGV: their windows (ms), in the same order. Returns the counts.
const COUNT = `
local out = {}
for i, key in ipairs(KEYS) do
  local c = redis.call('INCR', key)
  if c == 1 or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[i]) end
  out[i] = c
end
return out`;

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 32);

/**
 * The failed-authentication throttle every login shares (DynDNS2 e-mail + password, /mail/auth,
 * /api-token-auth, /admin/queues) and the wrong-token throttle of the token surfaces. Keys live under
 * `<prefix>:limits:auth:`; accounts are keyed by a hash of the e-mail address. Every method throws
 * LimitsUnavailableError when Redis is down: the caller answers 503 (logins fail closed).
 */
export class AuthThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(ip: string, login: string) {
    const net = sourceNetwork(ip);
    const who = sha(login.trim().toLowerCase());
    const k = (s: string) => `${this.prefix}:limits:auth:${s}`;
    return {
      net,
      network: k(`net:${net}`),
      pair: k(`pair:${who}:${net}`),
      account: k(`acct:${who}`),
      known: k(`known:${who}`),
    };
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
  }

  /** Before a password is checked: may `login` be tried from `ip` now? */
  async checkLogin(ip: string, login: string): Promise<ThrottleVerdict> {
    const k = this.keys(ip, login);
    const T = AUTH_THROTTLE;
    const [ms, reason] = (await this.run(() =>
      this.redis.eval(
        CHECK,
        4,
        k.network,
        k.pair,
        k.account,
        k.known,
        T.loginFailuresPerNetwork,
        T.loginFailuresPerNetworkAccount,
        T.loginFailuresPerAccount,
        k.net,
      ),
    )) as [number, string];
    if (ms <= 0) return { retryAfter: 0 };
    return { retryAfter: Math.max(1, Math.ceil(ms / 1000)), reason: reason as ThrottleReason };
  }

  /** A wrong password (or unknown account) for `login` from `ip`. */
  async loginFailed(ip: string, login: string): Promise<void> {
    const k = this.keys(ip, login);
    const T = AUTH_THROTTLE;
    await this.run(() =>
      this.redis.eval(
        COUNT,
        3,
        k.network,
        k.pair,
        k.account,
        T.loginWindowSeconds * 1000,
        T.loginWindowSeconds * 1000,
        T.accountWindowSeconds * 1000,
      ),
    );
  }

  /** The right password: the network becomes known for the account, and its own typos are forgotten. */
  async loginSucceeded(ip: string, login: string): Promise<void> {
    const k = this.keys(ip, login);
    const now = Date.now();
    const keepMs = AUTH_THROTTLE.knownNetworkDays * 86400 * 1000;
    await this.run(() =>
      this.redis
        .multi()
        .del(k.pair)
        .zadd(k.known, now, k.net)
        .zremrangebyscore(k.known, '-inf', now - keepMs)
        .pexpire(k.known, keepMs)
        .exec(),
    );
  }

  /**
   * A token or API key that matched nothing, from `ip`. Returns how long the network is throttled for
   * (0 = not yet): while it is, wrong tokens from it are answered "too many requests" instead of "wrong key".
   */
  async tokenFailed(ip: string): Promise<number> {
    const net = sourceNetwork(ip);
    const key = `${this.prefix}:limits:auth:token-net:${net}`;
    const { tokenFailuresPerNetwork: limit, tokenWindowSeconds: window } = AUTH_THROTTLE;
    const [count] = (await this.run(() => this.redis.eval(COUNT, 1, key, window * 1000))) as [number];
    if (count <= limit) return 0;
    const ttl = await this.run(() => this.redis.pttl(key));
    return Math.max(1, Math.ceil(ttl / 1000));
  }
}

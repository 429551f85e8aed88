import { parseAuthorization } from '../../auth';
import { bearerToken, hasParam, stringValues, type OutputMode, type Params } from './parse';

/**
 * Which reply format a request gets, decided once from how it was asked (pure). Two dialects share the
 * updater paths (see README.md, "Which reply"):
 *
 * - **classic DynDNS2** (ddclient, inadyn, FRITZ!Box, seed 000's one-liner): `hostname`/`myip` with Basic auth,
 *   or `username=<email>&password=`: text lines, `good 1.2.3.4`;
 * - **IPv64** (seed 003's examples, Home Assistant, ddns-updater): a `key`/`token` parameter, a token in
 *   `user`/`username` without a password, `domain`/`host` naming the hosts, or a Bearer token (also as seed
 *   003's Example 2, a Basic user `Bearer <token>`): JSON with the seed's HTTP status codes.
 *
 * An explicit `output=full|min|none` always wins; `/update` and `/update.php` always speak IPv64.
 */
export type Dialect = 'classic' | 'ipv64';

export interface DialectInput {
  path: string;
  /** the Authorization header, as received */
  authorization: string | undefined;
  query: Params | undefined;
  body: Params | undefined;
}

/** Parameters only an IPv64-style client sends (classic clients say `hostname` and authenticate with Basic). */
const IPV64_PARAMS = ['key', 'token', 'domain', 'host'] as const;
const OUTPUTS: readonly OutputMode[] = ['full', 'min', 'none'];

/** The dialect of a request to an updater path (the path itself is not looked at here). */
export function requestDialect(input: Omit<DialectInput, 'path'>): Dialect {
  const { query, body } = input;
  const auth = parseAuthorization(input.authorization);
  if (auth.kind === 'bearer') return 'ipv64';
  if (auth.kind === 'basic' && bearerToken(auth.user) !== undefined) return 'ipv64';
  if (hasParam(query, body, IPV64_PARAMS)) return 'ipv64';
  // `user`/`username` carry a token in IPv64's dialect; with a password they are seed 000's e-mail login
  if (hasParam(query, body, ['user', 'username']) && !hasParam(query, body, ['password'])) return 'ipv64';
  return 'classic';
}

/** The reply format: explicit `output=` → it; `/update`, `/update.php` → JSON; `/nic/update` → by dialect. */
export function replyMode(input: DialectInput): OutputMode {
  const explicit = [input.query, input.body]
    .flatMap((src) => stringValues(src, 'output'))
    .map((v) => v.trim().toLowerCase())
    .find((v) => v !== '');
  const chosen = OUTPUTS.find((o) => o === explicit);
  if (chosen) return chosen;
  const p = input.path.replace(/\/+$/, '').toLowerCase();
  if (p !== '/nic/update') return 'full';
  return requestDialect(input) === 'ipv64' ? 'full' : 'text';
}

import { execFile } from 'node:child_process';
import { freePort } from '@ddns/local-services';
import { startServiceProcess, type ServiceProcess } from './service-process';

/** The SECRETS_KEY of every service under test (testEnv): keys a test encrypts, the dns process decrypts. */
export const TEST_SECRETS_KEY = 'test-secrets-key-0123456789-abcdefghijklm';

/** `dig +short` against 127.0.0.1:port (Debian bind9-dnsutils); one answer per line. */
export function digShort(port: number, name: string, type: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), name, type, '+short', '+time=2', '+tries=2'],
      { timeout: 15_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').filter(Boolean).sort())),
    );
  });
}

/** What `dig` says of one question to 127.0.0.1:port: its status, the AA flag and each answer's data. */
export interface DigAnswer {
  status: string;
  aa: boolean;
  answers: string[];
}

/** `dig +norec` against 127.0.0.1:port, read as status, AA and answer data (e.g. `10 mx.example.` for MX). */
export function digFull(port: number, name: string, type: string): Promise<DigAnswer> {
  return new Promise((resolve, reject) =>
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), name, type, '+norec', '+time=2', '+tries=2'],
      { timeout: 15_000 },
      (err, out) => {
        if (err && !out) return reject(err);
        const answers = (out.split(';; ANSWER SECTION:')[1] ?? '')
          .split('\n\n')[0]!
          .split('\n')
          .filter((l) => l.trim() && !l.startsWith(';'))
          .map((l) => l.trim().split(/\s+/).slice(4).join(' '));
        resolve({
          status: /status: (\w+)/.exec(out)?.[1] ?? 'NONE',
          aa: /flags: [a-z ]*\baa\b/.test(out),
          answers,
        });
      },
    ),
  );
}

/** Polls `dig +short` until `check` accepts the answer (changes reach the responder through the feed). */
export async function digUntil(
  port: number,
  name: string,
  type: string,
  check: (answers: string[]) => boolean,
  timeoutMs = 10_000,
): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const a = await digShort(port, name, type);
    if (check(a) || Date.now() > until) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface DnsProcess extends ServiceProcess {
  port: number;
}

/**
 * The fast-path choice of the test run (DNS_FAST_PATH, and DDNS_UDP_NATIVE to point at another addon build),
 * handed to every dns process a test starts: the same suites run on the native and the TypeScript UDP path.
 */
export function dnsPathEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['DNS_FAST_PATH', 'DDNS_UDP_NATIVE'] as const) {
    const v = process.env[k];
    if (v) out[k] = v;
  }
  return out;
}

/** The dns service as its own process on a free port, answering from the given database. */
export async function startDnsProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  startTimeoutMs?: number,
): Promise<DnsProcess> {
  const port = await freePort();
  const p = await startServiceProcess(
    'dns',
    {
      DATABASE_URL: databaseUrl,
      DNS_HOST: '127.0.0.1',
      DNS_PORT: String(port),
      DNS_METRICS_PORT: String(await freePort()),
      DNS_RRL: 'false',
      SECRETS_KEY: TEST_SECRETS_KEY,
      ...dnsPathEnv(),
      ...env,
    },
    /dns listening/,
    startTimeoutMs,
  );
  return { ...p, port };
}

/**
 * lego (/usr/bin/lego) with the `httpreq` DNS provider pointed at our API, for end-to-end tests together with
 * pebble (`startPebble` from @ddns/testkit).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pebble } from '@ddns/testkit';

export interface LegoRun {
  code: number | null;
  output: string;
  /** lego's --path (accounts/, certificates/) */
  dir: string;
}

/**
 * `lego --dns httpreq --dns.disable-cp --dns.resolvers <resolver> -d … run` with the account API key as
 * HTTPREQ_PASSWORD. `resolver` is where lego checks that the TXT record is visible (the ddns DNS responder);
 * `--dns.disable-cp` skips the walk to the zone's name servers (which would query them on port 53).
 */
export function runLego(opts: {
  pebble: Pebble;
  endpoint: string;
  user: string;
  apiKey: string;
  domains: string[];
  resolver: string;
  /** seconds lego waits for the TXT record to be visible */
  propagationTimeout?: number;
}): Promise<LegoRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-lego-'));
  const args = ['--server', opts.pebble.directoryUrl, '--accept-tos', '--email', 'acme@example.com'];
  args.push('--path', dir, '--dns', 'httpreq', '--dns.disable-cp', '--dns.resolvers', opts.resolver);
  for (const d of opts.domains) args.push('-d', d);
  args.push('run');
  const child = spawn('/usr/bin/lego', args, {
    env: {
      ...process.env,
      LEGO_CA_CERTIFICATES: opts.pebble.caFile,
      HTTPREQ_ENDPOINT: opts.endpoint,
      HTTPREQ_USERNAME: opts.user,
      HTTPREQ_PASSWORD: opts.apiKey,
      HTTPREQ_PROPAGATION_TIMEOUT: String(opts.propagationTimeout ?? 30),
      HTTPREQ_POLLING_INTERVAL: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output, dir })));
}

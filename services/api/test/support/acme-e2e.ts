/**
 * Real ACME programs for end-to-end tests: pebble (Let's Encrypt's test CA, /usr/bin/pebble) with a throwaway TLS
 * certificate made by openssl, and lego (/usr/bin/lego) using the `httpreq` DNS provider against our API.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port nobody listens on right now. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A UDP port nobody listens on right now. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export interface Pebble {
  /** the ACME directory URL */
  directory: string;
  /** the CA that signed pebble's own HTTPS certificate (for LEGO_CA_CERTIFICATES) */
  caFile: string;
  dir: string;
  stop(): Promise<void>;
}

/** Starts pebble validating DNS-01 against `dnsServer` (`127.0.0.1:PORT`). */
export async function startPebble(dnsServer: string): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-pebble-'));
  const f = (n: string) => join(dir, n);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=ddns test CA',
  ]);
  ssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('key.pem'),
    '-out',
    f('csr.pem'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl([
    'x509',
    '-req',
    '-in',
    f('csr.pem'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('cert.pem'),
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
  ]);
  const port = await freeTcpPort();
  const mgmt = await freeTcpPort();
  writeFileSync(
    f('pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: f('cert.pem'),
        privateKey: f('key.pem'),
        httpPort: 5002,
        tlsPort: 5001,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child = spawn('/usr/bin/pebble', ['-config', f('pebble.json'), '-dnsserver', dnsServer], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('ACME directory available')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`pebble exited (${code}): ${log}`)));
  });
  return {
    directory: `https://127.0.0.1:${port}/dir`,
    caFile: f('ca.pem'),
    dir,
    stop: () => stopChild(child).then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface LegoRun {
  code: number | null;
  output: string;
}

/**
 * `lego --dns httpreq ... run` for `domains`, with the account API key as HTTPREQ_PASSWORD. `resolver` is where
 * lego checks that the TXT record is visible (the ddns DNS responder, `127.0.0.1:PORT`).
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
  const args = ['--server', opts.pebble.directory, '--accept-tos', '--email', 'acme@example.com'];
  args.push('--path', join(opts.pebble.dir, 'lego'), '--dns', 'httpreq', '--dns.disable-cp');
  args.push('--dns.resolvers', opts.resolver);
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
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '@ddns/local-services';

export interface Pebble {
  /** ACME directory URL */
  directoryUrl: string;
  /** PEM file of the CA that signed pebble's HTTPS certificate: clients must trust it */
  caFile: string;
  /** the management endpoint's URL of the issuing root (changes every start) */
  rootUrl: string;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/**
 * Starts Debian's pebble (Let's Encrypt's test CA) validating DNS-01 against `dnsServer` (host:port),
 * with a throwaway CA and localhost certificate made by openssl.
 */
export interface PebbleOptions {
  /**
   * PEBBLE_VA_ALWAYS_VALID: issue without looking up the DNS-01 TXT at all. Only for tests of what happens
   * around validation; a test of validation itself must leave this off and point dnsServer at ddns.
   */
  alwaysValid?: boolean;
}

export async function startPebble(dnsServer: string, opts: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-pebble-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=ddns test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'key.pem',
      '-out',
      'req.csr',
    ],
    dir,
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'req.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'cert.pem',
    ],
    dir,
  );
  const [port, mgmt, httpPort, tlsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(
    'pebble',
    ['-config', join(dir, 'pebble.json'), '-dnsserver', dnsServer],
    {
      env: {
        ...process.env,
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
        PEBBLE_VA_ALWAYS_VALID: opts.alwaysValid ? '1' : '0',
      },
      stdio: 'ignore',
    },
  );
  await waitForPort(port, 15_000);
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caFile: join(dir, 'ca.pem'),
    rootUrl: `https://127.0.0.1:${mgmt}/roots/0`,
    async stop() {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

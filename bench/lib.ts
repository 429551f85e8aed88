import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, createPool, migrateToLatest } from '../packages/db/src/index';

/** Shared helpers for the DNS benchmarks (not tests: numbers are printed, never asserted). */

export const ROOT = join(__dirname, '..');

export function adminUrl(): string {
  return (
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres'
  );
}

export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `ddns-bench-${label}-`));
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => u.bind(0, '127.0.0.1', () => r(u.address().port)));
    const ok = await new Promise<boolean>((r) => {
      const t = net.createServer();
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => t.close(() => r(true)));
    });
    u.close();
    if (ok) return port;
  }
}

export interface BenchDb {
  url: string;
  drop(): Promise<void>;
}

/** A fresh migrated database for one bench run. */
export async function benchDatabase(): Promise<BenchDb> {
  const name = `ddns_bench_${randomBytes(4).toString('hex')}`;
  const admin = createPool(adminUrl(), { max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const db = createDb(u.toString(), { max: 1 });
  await migrateToLatest(db);
  await db.destroy();
  return {
    url: u.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

export const benchName = (i: number, zone: string) => `h${i}.${zone}`;
export const benchAddr = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Zone + N A records, inserted in bulk with the feed triggers off (a bench fixture, not a write path). */
export async function fillZone(url: string, zone: string, n: number): Promise<void> {
  const pool = createPool(url, { max: 1 });
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const z = await c.query<{ id: number }>(
      `INSERT INTO zones (name, kind, primary_ns, hostmaster) VALUES ($1, 'shared', $2, $3) RETURNING id`,
      [zone, `ns1.${zone}`, `hostmaster.${zone}`],
    );
    const id = z.rows[0]!.id;
    await c.query('SET LOCAL session_replication_role = replica');
    await c.query(
      `INSERT INTO records (zone_id, name, type, content, ttl) VALUES ($1, $2, 'NS', $3, 3600), ($1, $3, 'A', '127.0.0.1', 3600)`,
      [id, zone, `ns1.${zone}`],
    );
    await c.query(
      `INSERT INTO records (zone_id, name, type, content, ttl)
       SELECT $1, 'h' || g || '.' || $2, 'A',
              '10.' || ((g >> 16) & 255) || '.' || ((g >> 8) & 255) || '.' || (g & 255), 300
       FROM generate_series(0, $3 - 1) g`,
      [id, zone, n],
    );
    await c.query('COMMIT');
  } finally {
    c.release();
    await pool.end();
  }
}

/** The same zone as a master file for NSD / PowerDNS. */
export function zoneFile(zone: string, n: number): string {
  const lines = [
    `$ORIGIN ${zone}.`,
    `@ 3600 IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 1209600 60`,
    `@ 3600 IN NS ns1.${zone}.`,
    `ns1 3600 IN A 127.0.0.1`,
  ];
  for (let i = 0; i < n; i++) lines.push(`h${i} 300 IN A ${benchAddr(i)}`);
  return `${lines.join('\n')}\n`;
}

export interface Proc {
  child: ChildProcess;
  /** the last 64 KiB of stdout */
  stdout(): string;
  /** the last 4 KiB of stderr */
  stderr(): string;
  stop(): Promise<void>;
}

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(cmd, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-65536)));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.on('exit', (code) => {
    if (code && code !== 0 && code !== 143) process.stderr.write(`${cmd} exited ${code}: ${err}\n`);
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves once `name` answers over UDP on the port (or rejects after the timeout). */
export async function waitForDns(
  port: number,
  name: string,
  timeoutMs = 120_000,
  /** anyReply: any answer will do (not a DNS server); exited: stop waiting when it says the server is gone */
  opts: { anyReply?: boolean; exited?: () => boolean } = {},
): Promise<void> {
  const sock = dgram.createSocket('udp4');
  const q = Buffer.concat([
    Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const onMessage = (m: Buffer) => {
          clearTimeout(t);
          resolve(opts.anyReply === true || ((m.readUInt16BE(2) & 0xf) === 0 && m.readUInt16BE(6) > 0));
        };
        const t = setTimeout(() => {
          sock.off('message', onMessage);
          resolve(false);
        }, 200);
        sock.once('message', onMessage);
        sock.send(q, port, '127.0.0.1');
      });
      if (ok) return;
      if (opts.exited?.()) throw new Error(`the server exited before ${name} answered on port ${port}`);
      if (Date.now() > deadline) throw new Error(`nothing answers ${name} on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    sock.close();
  }
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

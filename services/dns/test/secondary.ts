import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './helpers';

/** A real secondary from Debian (NSD or Knot) in its own directory; each test file writes its configuration. */
export interface Secondary {
  name: 'nsd' | 'knot';
  port: number;
  dir: string;
  proc: ChildProcess | null;
  log(): string;
}

export function makeSecondary(name: Secondary['name'], port: number, prefix = 'ddns'): Secondary {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
  return {
    name,
    port,
    dir,
    proc: null,
    log: () => (existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : ''),
  };
}

/** Writes `conf` to the secondary's directory and starts it in the foreground (nsd -d, knotd). */
export function startSecondary(s: Secondary, conf: string): void {
  const file = join(s.dir, 'server.conf');
  writeFileSync(file, conf);
  if (s.name === 'nsd') s.proc = spawn('nsd', ['-d', '-c', file], { stdio: 'ignore' });
  else {
    mkdirSync(join(s.dir, 'db'));
    s.proc = spawn('knotd', ['-c', file], { stdio: 'ignore' });
  }
}

/** Stops the secondary (waiting for it to exit) and removes its directory. */
export async function stopSecondary(s: Secondary): Promise<void> {
  if (s.proc && s.proc.exitCode === null && s.proc.signalCode === null) {
    const exited = new Promise((r) => s.proc!.once('exit', r));
    s.proc.kill('SIGTERM');
    await exited;
  }
  rmSync(s.dir, { recursive: true, force: true });
}

/** `eventually`, failing with the secondary's log for diagnosis. */
export async function withLog(s: Secondary, what: string, fn: () => Promise<boolean>): Promise<void> {
  await eventually(fn, 100, 20_000).catch((err: unknown) => {
    throw new Error(`${s.name}, ${what}: ${String(err)}. Its log:\n${s.log()}`);
  });
}

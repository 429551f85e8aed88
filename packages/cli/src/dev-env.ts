import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `.data/dev.env`: the connection settings of a running `pnpm dev` (DATABASE_URL, REDIS_URL, ...), so that
 * `pnpm ddns …` next to it needs no export. `pnpm dev` writes it when its services start and removes it when
 * it stops; `KEY=value` lines, so a shell can also `set -a; . .data/dev.env`. DEV_DATA_DIR moves `.data`.
 */

/** `.data` at the repository root (this file is packages/cli/src or, bundled, packages/cli/dist). */
export function devDataDir(env: NodeJS.ProcessEnv): string {
  return env.DEV_DATA_DIR || join(__dirname, '..', '..', '..', '.data');
}

export function devEnvFile(env: NodeJS.ProcessEnv): string {
  return join(devDataDir(env), 'dev.env');
}

/** Writes the settings (owner-only: the database URL may hold a password), with the writer's pid. */
export function writeDevEnv(file: string, vars: Record<string, string>): void {
  const lines = Object.entries({ ...vars, DEV_PID: String(process.pid) }).map(([k, v]) => `${k}=${v}`);
  writeFileSync(file, `# written by pnpm dev; removed when it stops\n${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Removes the file if this process wrote it. */
export function removeDevEnv(file: string): void {
  if (readDevEnvFile(file)?.DEV_PID === String(process.pid)) unlinkSync(file);
}

function readDevEnvFile(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The settings of a `pnpm dev` that is still running, if there is one. */
export function readDevEnv(
  env: NodeJS.ProcessEnv,
): { file: string; vars: Record<string, string> } | undefined {
  const file = devEnvFile(env);
  const vars = readDevEnvFile(file);
  if (!vars) return undefined;
  const pid = Number(vars.DEV_PID);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  return { file, vars };
}

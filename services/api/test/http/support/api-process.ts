import { readFileSync, readdirSync } from 'node:fs';
import { freePort, waitForPort } from '@ddns/local-services';
import { startServiceProcess, testEnv, type ServiceProcess } from '@ddns/testkit';

export interface ApiProcess extends ServiceProcess {
  port: number;
  /** resident memory of the API (the node process running main.ts, below tsx's launcher), in bytes */
  rss(): number;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

function isMain(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('main.ts');
  } catch {
    return false;
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The API as its own process (`tsx src/main.ts`) on a free loopback port, against the given database. */
export async function startApiProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const port = await freePort();
  // warnings and errors only (a log line per request slows a fuzz run); readiness is the port answering
  const base = testEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' });
  const p = await startServiceProcess(
    'api',
    {
      ...(Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >),
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_HTTP_PORT: String(await freePort()),
      API_METRICS_PORT: String(await freePort()),
      ...env,
    },
    /^/,
  );
  await waitForPort(port, 90_000).catch(async (err: unknown) => {
    await p.stop();
    throw new Error(`${String(err)}\n${p.output()}`);
  });
  const pid = p.child.pid!;
  return {
    ...p,
    port,
    rss: () => {
      // tsx runs the service in a child node process (next to an esbuild helper)
      let cur = pid;
      for (let next = childrenOf(cur).find(isMain); next !== undefined; next = childrenOf(cur).find(isMain))
        cur = next;
      return rssOf(cur);
    },
  };
}

import { writeFile } from 'node:fs/promises';
import { sql, type Db } from '@ddns/db';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';

export interface HeartbeatOptions {
  /** rewritten (its mtime is the heartbeat) every intervalMs while everything answers */
  file: string;
  workers: readonly Worker[];
  db: Db;
  logger: Logger;
  intervalMs?: number;
  /** how long Redis and Postgres may take to answer (default 5 s) */
  timeoutMs?: number;
}

export interface Heartbeat {
  /** the last round's problem, or null when the file was just written */
  beat(): Promise<string | null>;
  stop(): void;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The mailer's liveness for the container healthcheck (`healthcheck mailer` reads the file's age): every round,
 * each queue worker must be running, Redis must answer a read of the worker's queue on the worker's own
 * connection, and Postgres a SELECT; only then is the file rewritten. A stuck process, a closed worker or an unreachable store leaves
 * it to go stale.
 */
export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  const intervalMs = o.intervalMs ?? 10_000;
  const timeoutMs = o.timeoutMs ?? 5000;
  let failing = false;
  const beat = async (): Promise<string | null> => {
    try {
      const stopped = o.workers.find((w) => !w.isRunning());
      if (stopped) throw new Error(`worker ${stopped.name} is not running`);
      for (const w of o.workers)
        await within(
          w.getBackend().client.then((c) => c.llen(w.toKey('wait'))),
          timeoutMs,
          'Redis',
        );
      await within(sql`select 1`.execute(o.db), timeoutMs, 'Postgres');
      await writeFile(o.file, `${new Date().toISOString()}\n`);
      if (failing) o.logger.info('heartbeat: healthy again');
      failing = false;
      return null;
    } catch (err) {
      const problem = (err as Error).message;
      if (!failing) o.logger.warn({ problem }, 'heartbeat: not healthy');
      failing = true;
      return problem;
    }
  };
  let chain: Promise<unknown> = Promise.resolve();
  const next = (): Promise<string | null> => {
    const p = chain.then(beat);
    chain = p;
    return p;
  };
  void next();
  const timer = setInterval(() => void next(), intervalMs);
  timer.unref();
  return { beat: next, stop: () => clearInterval(timer) };
}

/**
 * BENCH_API_WORKERS replicas of services/api/src/main.ts (default 1) sharing one port through node:cluster,
 * as a deployment scales the API out; limits stay shared through Redis. On the 2-core box a second replica
 * competes with Postgres and the load generator and measured no better than one.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const workers = Math.max(
  1,
  Math.min(availableParallelism(), Number(process.env.BENCH_API_WORKERS ?? 1) || 1),
);

cluster.setupPrimary({ exec: join(__dirname, '../../services/api/src/main.ts') });
for (let i = 0; i < workers; i++) cluster.fork();
let alive = workers;
cluster.on('exit', () => {
  alive -= 1;
  if (alive === 0) process.exit(0);
});
process.on('SIGTERM', () => {
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
});

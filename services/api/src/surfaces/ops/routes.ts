import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { queueDashboard } from './queue-dashboard';
import { checkReadiness } from './readiness';

/**
 * /healthz (the process is alive), /readyz (Postgres and Redis answer), /metrics (Prometheus),
 * /admin/queues (bull-board, admin credentials).
 */
export function opsRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(deps);
    res
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not ready', ...report.checks });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  r.use(queueDashboard(deps));
  return r;
}

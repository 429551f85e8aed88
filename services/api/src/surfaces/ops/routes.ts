import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { queueDashboard } from './queue-dashboard';
import { checkReadiness } from './readiness';

/**
 * /healthz (the process is alive), /readyz (Postgres and Redis answer), /admin/queues (bull-board, admin
 * credentials). Prometheus metrics are served apart, on API_METRICS_HOST:API_METRICS_PORT (../../metrics-server.ts).
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
  r.use(queueDashboard(deps));
  return r;
}

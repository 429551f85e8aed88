import { Router } from 'express';
import type { ApiDeps } from '../../deps';

/** Not built yet: see the open issue for this surface. */
export function acmeRoutes(_deps: ApiDeps): Router {
  return Router();
}

import { Router } from 'express';
import type { ApiDeps } from '../../deps';

/** Not built yet: see the open issue for this surface. */
export function registrationRoutes(_deps: ApiDeps): Router {
  return Router();
}

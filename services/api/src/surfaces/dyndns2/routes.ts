import { Router } from 'express';
import type { ApiDeps } from '../../deps';

/** Not built yet: see the open issue for this surface. */
export function dyndns2Routes(_deps: ApiDeps): Router {
  return Router();
}

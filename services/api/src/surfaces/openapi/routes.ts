import { Router } from 'express';
import { openapiDocument } from './document';

/** GET /openapi.json (generated once, at start). */
export function openapiRoutes(): Router {
  const r = Router();
  const body = JSON.stringify(openapiDocument());
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return r;
}

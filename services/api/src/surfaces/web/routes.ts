import { Router, type Request, type Response } from 'express';
import { isAppPath } from './app-paths';
import { defaultWebDir, loadWebBundle, type BuiltFile } from './bundle';
import { ASSET_CACHE, DASHBOARD_HEADERS, PAGE_CACHE } from './headers';

export interface WebOptions {
  /** the `vite build` output (default: services/api/dist/web, where `pnpm build` writes it) */
  dir?: string;
  /** `pnpm dev`: the Vite dev server; dashboard paths redirect there (hot reload) */
  devUrl?: string;
}

/** Sends one built file, brotli or gzip when the client takes it. */
function send(req: Request, res: Response, f: BuiltFile, cache: string): void {
  const accept = String(req.headers['accept-encoding'] ?? '');
  res.set({ 'Content-Type': f.type, 'Cache-Control': cache, Vary: 'Accept-Encoding' });
  let body = f.raw;
  if (/\bbr\b/.test(accept)) {
    res.set('Content-Encoding', 'br');
    body = f.br;
  } else if (/\bgzip\b/.test(accept)) {
    res.set('Content-Encoding', 'gzip');
    body = f.gzip;
  }
  res.status(200).end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The dashboard at `/`: hashed assets under /assets (cached for a year), index.html for the dashboard's own
 * paths (app-paths.ts) with a strict Content-Security-Policy. Mounted after every other surface, and it never
 * answers a path outside its list, so it shadows nothing.
 */
export function webRoutes(opts: WebOptions = {}): Router {
  const r = Router();
  const bundle = loadWebBundle(opts.dir ?? defaultWebDir());
  r.get('/assets/{*file}', (req, res, next) => {
    const f = bundle?.assets.get(req.path);
    if (!f) return next();
    res.set(DASHBOARD_HEADERS);
    send(req, res, f, ASSET_CACHE);
  });
  r.get('/{*page}', (req, res, next) => {
    if (!isAppPath(req.path)) return next();
    if (opts.devUrl) {
      res.redirect(302, new URL(req.originalUrl, opts.devUrl).toString());
      return;
    }
    res.set(DASHBOARD_HEADERS);
    if (!bundle) {
      // a checkout where nobody ran `pnpm build`: not an outage (no 5xx), just no page here yet
      res
        .status(404)
        .type('text/plain')
        .send(
          'The dashboard is not built: run `pnpm build` (or use the Vite dev server under `pnpm dev`).\n',
        );
      return;
    }
    send(req, res, bundle.index, PAGE_CACHE);
  });
  return r;
}

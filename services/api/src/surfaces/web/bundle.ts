import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** One built file, held in memory with its compressed forms (the whole dashboard is well under 1 MB). */
export interface BuiltFile {
  type: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

export interface WebBundle {
  index: BuiltFile;
  /** `/assets/index-3fa1c2.js` -> file */
  assets: Map<string, BuiltFile>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

function built(path: string): BuiltFile {
  const raw = readFileSync(path);
  return {
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    raw,
    gzip: gzipSync(raw, { level: 9 }),
    br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

/** Reads a `vite build` output folder; undefined when there is none (the dashboard was not built). */
export function loadWebBundle(dir: string): WebBundle | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, BuiltFile>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir))
    for (const f of readdirSync(assetDir)) {
      if (f.endsWith('.map')) continue;
      assets.set(`/assets/${f}`, built(join(assetDir, f)));
    }
  return { index: built(join(dir, 'index.html')), assets };
}

/** Where `pnpm build` puts the dashboard: services/api/dist/web, seen from the bundle or from src/. */
export function defaultWebDir(): string {
  const candidates = [join(__dirname, 'web'), join(__dirname, '..', '..', '..', 'dist', 'web')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

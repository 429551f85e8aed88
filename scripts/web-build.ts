/**
 * The dashboard's production build (`vite build` in web/, as a child process: Vite is ESM-only and tests run
 * as CommonJS) and its first-load weight: index.html plus every script and stylesheet it references,
 * compressed as the API sends them (brotli and gzip, surfaces/web/bundle.ts).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = join(__dirname, '..');

export function buildWeb(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, 'web', 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], {
      cwd: join(root, 'web'),
      // NODE_ENV: jest sets `test`, which would make Vite bundle Preact's debug build
      env: {
        ...process.env,
        NODE_ENV: 'production',
        WEB_OUT_DIR: outDir,
        VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed (${code}):\n${out}`)),
    );
  });
}

export interface Weight {
  files: string[];
  raw: number;
  gzip: number;
  br: number;
}

/** What a first visit downloads: index.html and the /assets files it links (scripts, styles, preloads). */
export function firstLoadWeight(dir: string): Weight {
  const html = readFileSync(join(dir, 'index.html'));
  const files = ['index.html'];
  for (const m of html.toString().matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)) files.push(m[1]!);
  const w: Weight = { files, raw: 0, gzip: 0, br: 0 };
  for (const f of files) {
    const b = readFileSync(join(dir, f));
    w.raw += b.length;
    w.gzip += gzipSync(b, { level: 9 }).length;
    w.br += brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return w;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

export function formatWeight(w: Weight): string {
  return `first load ${kb(w.br)} brotli / ${kb(w.gzip)} gzip (${kb(w.raw)} uncompressed, ${w.files.length} files)`;
}

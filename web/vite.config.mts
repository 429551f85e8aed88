import { defineConfig } from 'vite';

/**
 * The dashboard. `vite build` writes hashed files to dist/ (pnpm build copies them to services/api/dist/web);
 * `vite` (pnpm dev starts it on WEB_DEV_PORT, default 5173) serves src/ with hot reload and proxies every
 * non-dashboard path to the API at DDNS_API_URL. Nothing is inlined: the API's Content-Security-Policy
 * allows scripts and styles from 'self' only.
 */
const api = process.env.DDNS_API_URL ?? 'http://127.0.0.1:8080';
const apiPaths = [
  '/v1',
  '/api',
  '/api.php',
  '/nic',
  '/update',
  '/update.php',
  '/tools',
  '/admin/queues',
  '/openapi.json',
  '/healthz',
  '/readyz',
  '/subscribe',
  '/unsubscribe',
  '/reclaim',
  '/ping',
  '/dnsconfig',
  '/info',
  '/setemail',
  '/verifyemail',
  '/revokeemail',
  '/connectivity-check',
  '/health',
  '/mail',
  '/acme',
  '/api-token-auth',
  '/user',
];

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.WEB_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    strictPort: true,
    // one anchored pattern: a prefix such as /mail must not catch the dashboard's /mail-domains
    proxy: { [`^(${apiPaths.join('|').replace(/\./g, '\\.')})(/|\\?|$)`]: { target: api } },
  },
});

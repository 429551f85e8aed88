/**
 * The dashboard's own paths (web/src/app.tsx routes them in the browser). Only these answer with index.html:
 * every other path keeps its surface's answer (a /v1 typo stays a JSON 404, /nic/update stays DynDNS2).
 */
const EXACT = new Set([
  '/',
  '/login',
  '/signup',
  '/verify-email',
  '/reset-password',
  '/domains',
  '/logs',
  '/checks',
  '/gateways',
  '/mail-domains',
  '/keys',
  '/account',
  '/admin/accounts',
  '/admin/zones',
]);
/** `/domains/<name>`: one label-ish segment, no further slashes */
const DOMAIN_PAGE = /^\/domains\/[^/]{1,253}$/;

export function isAppPath(path: string): boolean {
  const p = path.length > 1 ? path.replace(/\/$/, '') : path;
  return EXACT.has(p) || DOMAIN_PAGE.test(p);
}

/** TRUST_PROXY → express's `trust proxy` value: false, true, a hop count, or a list of addresses/subnets. */
export function parseTrustProxy(v: string): boolean | number | string[] {
  const s = v.trim().toLowerCase();
  if (s === '' || s === 'false' || s === '0' || s === 'no') return false;
  if (s === 'true' || s === 'yes') return true;
  if (/^\d+$/.test(s)) return Number(s);
  return s.split(/[\s,]+/).filter(Boolean);
}

/**
 * Domain names in canonical wire form (RFC 4034 §6.2): lowercase, uncompressed. Names come in our store's form:
 * lowercase or not, with or without the trailing dot, `''` or `'.'` for the root.
 */
export function nameWire(name: string): Buffer {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return Buffer.from([0]);
  const labels = n.toLowerCase().split('.');
  const out = Buffer.allocUnsafe(n.length + 2);
  let o = 0;
  for (const label of labels) {
    const len = out.write(label, o + 1, 'latin1');
    if (len === 0 || len > 63) throw new Error(`bad label in ${name}`);
    out[o] = len;
    o += len + 1;
  }
  out[o] = 0;
  return out.subarray(0, o + 1);
}

/** Number of labels, not counting the root and a leading `*` (the RRSIG Labels field, RFC 4034 §3.1.3). */
export function rrsigLabels(name: string): number {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  if (n === '') return 0;
  const labels = n.split('.');
  return labels[0] === '*' ? labels.length - 1 : labels.length;
}

/** `name` with exactly one trailing dot (presentation form). */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

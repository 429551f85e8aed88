import { randomBytes } from 'node:crypto';
import { parseCommand, printer, UsageError, type CommandGroup } from '../command';

const ALGORITHMS = ['hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
const SECRET_BYTES = { 'hmac-sha256': 32, 'hmac-sha384': 48, 'hmac-sha512': 64 } as const;

/** What `tsig generate` prints: the key, the line for DNS_TSIG_KEYS, and the secondaries' config. */
export function tsigKeyConfig(name: string, algorithm: (typeof ALGORITHMS)[number], secret: string) {
  return {
    name,
    algorithm,
    secret,
    env: `${algorithm}:${name}:${secret}`,
    nsd:
      `key:\n    name: "${name}"\n    algorithm: ${algorithm}\n    secret: "${secret}"\n` +
      `# in the zone (or pattern):\n#   request-xfr: AXFR <ddns address> ${name}\n#   allow-notify: <ddns address> ${name}\n`,
    knot:
      `key:\n  - id: ${name}\n    algorithm: ${algorithm}\n    secret: ${secret}\n` +
      `# on the remote of ddns: key: ${name}; on the acl allowing its NOTIFY: key: ${name}\n`,
  };
}

export const tsig: CommandGroup = {
  name: 'tsig',
  usage: ['tsig generate NAME [--algorithm hmac-sha256|hmac-sha384|hmac-sha512]'],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, { algorithm: { type: 'string' } });
    if (p[0] !== 'generate') throw new UsageError(`unknown command "tsig ${p.join(' ')}"`);
    const name = (p[1] ?? '').toLowerCase().replace(/\.$/, '');
    if (!name || p.length > 2) throw new UsageError('tsig generate takes one key NAME');
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) || name.length > 253)
      throw new UsageError(`"${p[1]}" is not a valid key name (a domain name, e.g. ddns-xfr)`);
    const algorithm = (o.algorithm ?? 'hmac-sha256') as (typeof ALGORITHMS)[number];
    if (!ALGORITHMS.includes(algorithm))
      throw new UsageError(`--algorithm must be one of ${ALGORITHMS.join(', ')}`);
    const c = tsigKeyConfig(name, algorithm, randomBytes(SECRET_BYTES[algorithm]).toString('base64'));
    printer(ctx.io, o.json)(
      c,
      `TSIG key ${name} (${algorithm}); keep the secret private.\n\n` +
        `dns service environment:\n  DNS_TSIG_KEYS=${c.env}\n` +
        `  DNS_SECONDARIES=${name}@<secondary address>   (transfers from it must be signed; NOTIFY to it is)\n\n` +
        `NSD (nsd.conf):\n${c.nsd}\nKnot (knot.conf):\n${c.knot}\n` +
        `dig/kdig: dig -y ${c.env} @<ddns address> <zone> AXFR`,
    );
  },
};

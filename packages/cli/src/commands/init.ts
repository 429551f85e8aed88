import { randomBytes } from 'node:crypto';
import { parseConfig, pick } from '@ddns/config';
import type { Db } from '@ddns/db';
import { addZone, createAccount, ensureZoneKeys, OpError, parseNameServer } from '@ddns/registry';
import { parseCommand, printer, UsageError, type CommandGroup } from '../command';

export interface InitResult {
  zone: { name: string; created: boolean } | null;
  /** zones that got their first DNSSEC key now */
  keyed: string[];
  admin:
    | { email: string; created: false }
    | { email: string; created: true; password: string; apiKey: string; updateToken: string }
    | null;
}

/**
 * The bootstrap of a fresh deployment, idempotent: the shared zone (DDNS_ZONE, name servers DDNS_NS) and the
 * first admin account (DDNS_ADMIN_EMAIL, with a generated password) are created when missing and left alone
 * when present, so running it at every start changes nothing after the first time.
 */
export async function initDeployment(
  db: Db,
  input: { zone?: string; ns: string[]; adminEmail?: string; secretsKey?: string },
): Promise<InitResult> {
  const result: InitResult = { zone: null, keyed: [], admin: null };
  if (input.zone) {
    const name = input.zone.trim().toLowerCase().replace(/\.$/, ''); // as addZone stores it
    const existing = await db
      .selectFrom('zones')
      .select(['kind'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (existing && existing.kind !== 'shared')
      throw new OpError(`zone ${name} exists but is ${existing.kind}, not shared`);
    if (!existing) await addZone(db, { name, kind: 'shared', ns: input.ns.map(parseNameServer) });
    result.zone = { name, created: !existing };
  }
  if (input.secretsKey) result.keyed = await ensureZoneKeys(db, { secretsKey: input.secretsKey });
  if (input.adminEmail) {
    const email = input.adminEmail.trim();
    const existing = await db
      .selectFrom('accounts')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();
    if (existing) result.admin = { email, created: false };
    else {
      const password = randomBytes(18).toString('base64url');
      const a = await createAccount(db, { email, password, admin: true });
      result.admin = {
        email: a.email,
        created: true,
        password,
        apiKey: a.apiKey,
        updateToken: a.updateToken,
      };
    }
  }
  return result;
}

function describe(r: InitResult): string {
  const lines: string[] = [];
  if (r.zone) lines.push(`zone ${r.zone.name}: ${r.zone.created ? 'created (shared)' : 'exists, unchanged'}`);
  if (r.keyed.length)
    lines.push(`DNSSEC keys made for: ${r.keyed.join(', ')} (\`ddns zone keys ZONE\`: the DS)`);
  if (r.admin?.created)
    lines.push(
      `admin ${r.admin.email}: created. Shown only now (the database keeps hashes), keep them:`,
      `  e-mail:       ${r.admin.email}`,
      `  password:     ${r.admin.password}`,
      `  API key:      ${r.admin.apiKey}`,
      `  update token: ${r.admin.updateToken}`,
    );
  else if (r.admin)
    lines.push(
      `admin ${r.admin.email}: exists, unchanged (its credentials were printed when it was created; ` +
        '`ddns account rotate-key` makes new ones)',
    );
  if (!r.zone && !r.admin) lines.push('nothing to do: set DDNS_ZONE and/or DDNS_ADMIN_EMAIL');
  return lines.join('\n');
}

export const init: CommandGroup = {
  name: 'init',
  usage: [
    'init   (creates DDNS_ZONE with DDNS_NS and the admin DDNS_ADMIN_EMAIL when missing; checks the secrets)',
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {});
    if (p.length) throw new UsageError(`unexpected argument "${p[0]}"`);
    // the deployment's secrets are checked here too, so a bad one stops `docker compose up` before any service
    const config = parseConfig(
      pick('DDNS_ZONE', 'DDNS_NS', 'DDNS_ADMIN_EMAIL', 'JWT_SECRET', 'SECRETS_KEY'),
      ctx.env,
    );
    const r = await initDeployment(ctx.db(), {
      zone: config.DDNS_ZONE,
      ns: config.DDNS_NS,
      adminEmail: config.DDNS_ADMIN_EMAIL,
      secretsKey: config.SECRETS_KEY,
    });
    printer(ctx.io, o.json)(r, describe(r));
  },
};

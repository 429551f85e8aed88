import { parseConfig, pick } from '@ddns/config';
import { migrateToLatest } from '@ddns/db';
import { ensureZoneKeys } from '@ddns/registry';
import { parseCommand, printer, UsageError, type CommandGroup } from '../command';

export const migrate: CommandGroup = {
  name: 'migrate',
  usage: ['migrate'],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {});
    if (p.length) throw new UsageError(`unexpected argument "${p[0]}"`);
    const r = await migrateToLatest(ctx.db());
    // zones signed but without a key (all of them, the first time after migration 0007) get one, given
    // SECRETS_KEY; without it the mailer's DNSSEC sweep makes them
    const keyed = ctx.env.SECRETS_KEY
      ? await ensureZoneKeys(ctx.db(), { secretsKey: parseConfig(pick('SECRETS_KEY'), ctx.env).SECRETS_KEY })
      : [];
    printer(ctx.io, o.json)(
      { ...r, keyed },
      (r.applied.length ? `applied: ${r.applied.join(', ')}` : 'database is up to date') +
        (keyed.length ? `\nDNSSEC keys made for: ${keyed.join(', ')}` : ''),
    );
  },
};

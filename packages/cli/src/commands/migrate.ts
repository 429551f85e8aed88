import { migrateToLatest } from '@ddns/db';
import { parseCommand, printer, UsageError, type CommandGroup } from '../command';

export const migrate: CommandGroup = {
  name: 'migrate',
  usage: ['migrate'],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {});
    if (p.length) throw new UsageError(`unexpected argument "${p[0]}"`);
    const r = await migrateToLatest(ctx.db());
    printer(ctx.io, o.json)(
      r,
      r.applied.length ? `applied: ${r.applied.join(', ')}` : 'database is up to date',
    );
  },
};

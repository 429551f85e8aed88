import { addZone, listZones, parseNameServer, removeZone } from '@ddns/registry';
import { parseCommand, printer, table, UsageError, type CommandGroup } from '../command';

export const zone: CommandGroup = {
  name: 'zone',
  usage: [
    'zone add NAME [--ns HOST=IP ...] [--shared]',
    'zone list',
    'zone remove NAME [--force]             (--force: also the domains users hold in it)',
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {
      ns: { type: 'string', multiple: true },
      shared: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    });
    const print = printer(ctx.io, o.json);
    const [sub, name] = p;
    if (sub === 'add' && name && p.length === 2) {
      const z = await addZone(ctx.db(), {
        name,
        kind: o.shared ? 'shared' : 'hosted',
        ns: (o.ns ?? []).map(parseNameServer),
      });
      print(
        { id: z.id, name: z.name, kind: z.kind, serial: z.serial },
        `zone ${z.name} added (${z.kind}, id ${z.id})`,
      );
    } else if (sub === 'list' && p.length === 1) {
      const list = await listZones(ctx.db());
      print(
        list,
        table(
          list,
          (z) => [z.id, z.name, z.kind, z.status, z.account, `serial ${z.serial}`, `${z.domains} domain(s)`],
          'no zones',
        ),
      );
    } else if (sub === 'remove' && name && p.length === 2) {
      const r = await removeZone(ctx.db(), { name, force: o.force });
      print(r, `zone ${r.name} removed` + (r.domains.length ? ` with ${r.domains.length} domain(s)` : ''));
    } else throw new UsageError(`unknown command "zone ${p.join(' ')}"`);
  },
};

import { addZone, parseNameServer } from '@ddns/registry';
import { parseCommand, printer, UsageError, type CommandGroup } from '../command';

export const zone: CommandGroup = {
  name: 'zone',
  usage: ['zone add NAME [--ns HOST=IP ...] [--shared]'],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {
      ns: { type: 'string', multiple: true },
      shared: { type: 'boolean', default: false },
    });
    const print = printer(ctx.io, o.json);
    const [sub, name] = p;
    if (sub === 'add' && name) {
      const z = await addZone(ctx.db(), {
        name,
        kind: o.shared ? 'shared' : 'hosted',
        ns: (o.ns ?? []).map(parseNameServer),
      });
      print(
        { id: z.id, name: z.name, kind: z.kind, serial: z.serial },
        `zone ${z.name} added (${z.kind}, id ${z.id})`,
      );
    } else throw new UsageError(`unknown command "zone ${p.join(' ')}"`);
  },
};

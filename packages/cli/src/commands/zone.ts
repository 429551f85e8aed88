import { parseConfig, pick } from '@ddns/config';
import { addZone, listZones, parseDnssecAlgorithm, parseNameServer, removeZone } from '@ddns/registry';
import { parseCommand, printer, table, UsageError, type CommandGroup } from '../command';
import { runZoneDnssec, zoneDnssecUsage } from './zone-dnssec';

export const zone: CommandGroup = {
  name: 'zone',
  usage: [
    'zone add NAME [--ns HOST=IP ...] [--shared] [--algorithm 13|15 | --unsigned]   (signed unless --unsigned)',
    'zone list',
    'zone remove NAME [--force]             (--force: also the domains users hold in it)',
    ...zoneDnssecUsage,
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {
      ns: { type: 'string', multiple: true },
      shared: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      algorithm: { type: 'string' },
      now: { type: 'boolean', default: false },
      unsigned: { type: 'boolean', default: false },
    });
    const print = printer(ctx.io, o.json);
    const [sub, name] = p;
    if (sub === 'dnssec' || sub === 'keys' || sub === 'rollover') {
      await runZoneDnssec(sub, p.slice(1), { json: o.json, algorithm: o.algorithm, now: o.now }, ctx);
    } else if (sub === 'add' && name && p.length === 2) {
      const z = await addZone(ctx.db(), {
        name,
        kind: o.shared ? 'shared' : 'hosted',
        ns: (o.ns ?? []).map(parseNameServer),
        dnssec: {
          unsigned: o.unsigned,
          algorithm: o.algorithm === undefined ? undefined : parseDnssecAlgorithm(o.algorithm),
          // the first key is made now when SECRETS_KEY is at hand, else by the mailer's DNSSEC sweep
          secretsKey: ctx.env.SECRETS_KEY ? parseConfig(pick('SECRETS_KEY'), ctx.env).SECRETS_KEY : undefined,
        },
      });
      print(
        { id: z.id, name: z.name, kind: z.kind, serial: z.serial, dnssec: z.dnssec },
        `zone ${z.name} added (${z.kind}, id ${z.id}, ${z.dnssec ? 'signed' : 'unsigned'})` +
          (z.dnssec ? `; \`ddns zone keys ${z.name}\` shows the DS to publish at the parent` : ''),
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

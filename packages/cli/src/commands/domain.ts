import { addDomain, listDomains, removeDomain } from '@ddns/registry';
import { need, parseCommand, printer, table, UsageError, type CommandGroup } from '../command';

export const domain: CommandGroup = {
  name: 'domain',
  usage: [
    'domain add NAME --account E',
    'domain list [--account E] [--zone Z]',
    "domain remove NAME                     (a user's own domain takes its zone with it)",
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {
      account: { type: 'string' },
      zone: { type: 'string' },
    });
    const print = printer(ctx.io, o.json);
    const [sub, name] = p;
    if (sub === 'add' && name && p.length === 2) {
      const d = await addDomain(ctx.db(), { name, accountEmail: need(o.account, '--account') });
      const proof = d.ownership
        ? `\n${d.name} is pending: it is served once its parent delegates it to ${d.ownership.nameServers.join(', ') || 'our name servers'}` +
          `\nor a TXT record ${d.ownership.challenge.name} holds "${d.ownership.challenge.value}".`
        : '';
      print(d, `domain ${d.name} added (id ${d.id})\ndomain token: ${d.token}\nShown only now.${proof}`);
    } else if (sub === 'list' && p.length === 1) {
      const list = await listDomains(ctx.db(), { accountEmail: o.account, zone: o.zone });
      print(
        list,
        table(
          list,
          (d) => [
            d.id,
            d.name,
            d.kind === 'hosted' ? 'own zone' : `in ${d.zone}`,
            d.account ?? 'no account',
            d.mode === null ? undefined : d.mode === 0 ? 'gateway (tunnelled)' : 'gateway (direct)',
            `${d.records} record(s)`,
          ],
          'no domains',
        ),
      );
    } else if (sub === 'remove' && name && p.length === 2) {
      const r = await removeDomain(ctx.db(), { name });
      print(r, `domain ${r.name} removed` + (r.zone ? ` with its zone ${r.zone}` : ''));
    } else throw new UsageError(`unknown command "domain ${p.join(' ')}"`);
  },
};

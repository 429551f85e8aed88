import { addDomain } from '@ddns/registry';
import { need, parseCommand, printer, UsageError, type CommandGroup } from '../command';

export const domain: CommandGroup = {
  name: 'domain',
  usage: ['domain add NAME --account E'],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, { account: { type: 'string' } });
    const print = printer(ctx.io, o.json);
    const [sub, name] = p;
    if (sub === 'add' && name) {
      const d = await addDomain(ctx.db(), { name, accountEmail: need(o.account, '--account') });
      print(d, `domain ${d.name} added (id ${d.id})\ndomain token: ${d.token}\nShown only now.`);
    } else throw new UsageError(`unknown command "domain ${p.join(' ')}"`);
  },
};

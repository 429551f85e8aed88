import { createAccount, listAccounts, rotateKeys } from '@ddns/registry';
import { need, parseCommand, printer, UsageError, type CommandGroup } from '../command';

export const account: CommandGroup = {
  name: 'account',
  usage: [
    'account create --email E --password P [--admin] [--class C]',
    'account list',
    'account rotate-key --email E',
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, {
      email: { type: 'string' },
      password: { type: 'string' },
      admin: { type: 'boolean', default: false },
      class: { type: 'string' },
    });
    const print = printer(ctx.io, o.json);
    const sub = p.join(' ');
    if (sub === 'create') {
      const email = need(o.email, '--email');
      const password = need(o.password, '--password');
      const a = await createAccount(ctx.db(), { email, password, admin: o.admin, class: o.class });
      print(
        a,
        `account ${a.email} created (id ${a.id})\n` +
          `API key:      ${a.apiKey}\nupdate token: ${a.updateToken}\n` +
          'These secrets are shown only now; the database keeps only their hashes.',
      );
    } else if (sub === 'list') {
      const list = await listAccounts(ctx.db());
      print(
        list,
        list.length
          ? list
              .map(
                (a) => `${a.id}\t${a.email}\t${a.class}${a.admin ? '\tadmin' : ''}\t${a.domains} domain(s)`,
              )
              .join('\n')
          : 'no accounts',
      );
    } else if (sub === 'rotate-key') {
      const a = await rotateKeys(ctx.db(), need(o.email, '--email'));
      print(
        a,
        `new secrets for ${a.email}\nAPI key:      ${a.apiKey}\nupdate token: ${a.updateToken}\n` +
          'The old ones no longer work. These are shown only now.',
      );
    } else throw new UsageError(`unknown command "account ${sub}"`);
  },
};

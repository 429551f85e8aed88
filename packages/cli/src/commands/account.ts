import {
  createAccount,
  deleteAccount,
  listAccounts,
  rotateApiKey,
  rotateUpdateToken,
  setAccountClass,
  setAccountDisabled,
  setAccountPassword,
} from '@ddns/registry';
import {
  emailArg,
  need,
  parseCommand,
  printer,
  table,
  UsageError,
  type CommandContext,
  type CommandGroup,
} from '../command';

const options = {
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  admin: { type: 'boolean', default: false },
  class: { type: 'string' },
  yes: { type: 'boolean', default: false },
} as const;

/** --password P, or the first line of standard input with --password-stdin (keeps it out of `ps`). */
async function password(ctx: CommandContext, o: { password?: string; 'password-stdin'?: boolean }) {
  if (o['password-stdin']) {
    if (o.password !== undefined) throw new UsageError('give --password or --password-stdin, not both');
    if (!ctx.io.readInput) throw new UsageError('--password-stdin: no standard input');
    return (await ctx.io.readInput()).split(/\r?\n/)[0] ?? '';
  }
  return need(o.password, '--password');
}

export const account: CommandGroup = {
  name: 'account',
  usage: [
    'account create --email E (--password P | --password-stdin) [--admin] [--class C]',
    'account list',
    'account disable E | enable E',
    'account delete E --yes                 (releases all its names)',
    'account set-class E CLASS',
    'account set-password E (--password P | --password-stdin)',
    'account rotate-key E                   (new API key; the update token stays)',
    'account rotate-update-token E          (new update token; the API key stays)',
  ],
  async run(argv, ctx) {
    const { values: o, positionals: p } = parseCommand(argv, options);
    const print = printer(ctx.io, o.json);
    const [sub, arg, extra] = p;
    const email = () => emailArg(arg, o.email);
    const noMore = (n: number) => {
      if (p.length > n) throw new UsageError(`unexpected argument "${p[n]}"`);
    };
    switch (sub) {
      case 'create': {
        noMore(1);
        const a = await createAccount(ctx.db(), {
          email: need(o.email, '--email'),
          password: await password(ctx, o),
          admin: o.admin,
          class: o.class,
        });
        return print(
          a,
          `account ${a.email} created (id ${a.id})\n` +
            `API key:      ${a.apiKey}\nupdate token: ${a.updateToken}\n` +
            'These secrets are shown only now; the database keeps only their hashes.',
        );
      }
      case 'list': {
        noMore(1);
        const list = await listAccounts(ctx.db());
        return print(
          list,
          table(
            list,
            (a) => [
              a.id,
              a.email,
              a.class,
              a.admin && 'admin',
              a.disabledAt !== null && 'DISABLED',
              `${a.domains} domain(s)`,
            ],
            'no accounts',
          ),
        );
      }
      case 'disable':
      case 'enable': {
        noMore(2);
        const r = await setAccountDisabled(ctx.db(), email(), sub === 'disable');
        const state = r.disabled ? 'disabled' : 'enabled';
        return print(
          r,
          r.changed ? `account ${r.email} ${state}` : `account ${r.email} was already ${state}`,
        );
      }
      case 'delete': {
        noMore(2);
        const e = email();
        if (!o.yes) throw new UsageError(`account delete removes ${e} and releases all its names: add --yes`);
        const r = await deleteAccount(ctx.db(), e);
        return print(
          r,
          `account ${r.email} deleted; released ${r.domains.length} domain(s)` +
            (r.domains.length ? `: ${r.domains.join(', ')}` : ''),
        );
      }
      case 'set-class': {
        noMore(3);
        // `set-class E CLASS`, or `set-class --email E CLASS` / `--class CLASS`
        const [who, cls] = o.email !== undefined && extra === undefined ? [o.email, arg] : [arg, extra];
        const r = await setAccountClass(ctx.db(), emailArg(who, undefined), need(cls ?? o.class, 'CLASS'));
        return print(r, `account ${r.email}: class ${r.previous} -> ${r.class}`);
      }
      case 'set-password': {
        noMore(2);
        const r = await setAccountPassword(ctx.db(), email(), await password(ctx, o));
        return print(
          r,
          `password of ${r.email} set` +
            (r.revokedTokens ? `; ${r.revokedTokens} records-API token(s) from earlier logins revoked` : ''),
        );
      }
      case 'rotate-key': {
        noMore(2);
        const r = await rotateApiKey(ctx.db(), email());
        return print(
          r,
          `new API key for ${r.email}\nAPI key: ${r.apiKey}\n` +
            'The old key no longer works; the update token is unchanged. Shown only now.',
        );
      }
      case 'rotate-update-token': {
        noMore(2);
        const r = await rotateUpdateToken(ctx.db(), email());
        return print(
          r,
          `new update token for ${r.email}\nupdate token: ${r.updateToken}\n` +
            'The old token no longer works (reconfigure the updaters); the API key is unchanged. Shown only now.',
        );
      }
      default:
        throw new UsageError(`unknown command "account ${p.join(' ')}"`);
    }
  },
};

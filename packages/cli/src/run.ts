import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, pick } from '@ddns/config';
import { createDb, migrateToLatest } from '@ddns/db';
import { createAccount, listAccounts, rotateKeys } from './ops/accounts';
import { addDomain } from './ops/domains';
import { addZone, OpError, parseNameServer } from './ops/zones';

const USAGE = `usage: ddns <command> [--json]
  migrate
  zone add NAME [--ns HOST=IP ...] [--shared]
  account create --email E --password P [--admin] [--class C]
  account list
  account rotate-key --email E
  domain add NAME --account E
Reads DATABASE_URL.`;

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: CliIo = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
};

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        ns: { type: 'string', multiple: true },
        shared: { type: 'boolean', default: false },
        email: { type: 'string' },
        password: { type: 'string' },
        admin: { type: 'boolean', default: false },
        class: { type: 'string' },
        account: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err(`ddns: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals: p } = parsed;
  if (o.help || p.length === 0) {
    io.out(USAGE);
    return o.help ? 0 : 2;
  }
  let config;
  try {
    config = parseConfig(pick('DATABASE_URL'), env);
  } catch (err) {
    if (err instanceof ConfigError) {
      err.problems.forEach((l) => io.err(l));
      return 2;
    }
    throw err;
  }
  const db = createDb(config.DATABASE_URL, { max: 2, applicationName: 'ddns-cli' });
  const print = (json: unknown, text: string) => io.out(o.json ? JSON.stringify(json) : text);
  const need = (v: string | undefined, flag: string): string => {
    if (!v) throw new OpError(`${flag} is required`);
    return v;
  };
  try {
    const cmd = p.join(' ');
    if (cmd === 'migrate') {
      const r = await migrateToLatest(db);
      print(r, r.applied.length ? `applied: ${r.applied.join(', ')}` : 'database is up to date');
    } else if (p[0] === 'zone' && p[1] === 'add' && p[2]) {
      const zone = await addZone(db, {
        name: p[2],
        kind: o.shared ? 'shared' : 'hosted',
        ns: (o.ns ?? []).map(parseNameServer),
      });
      print(
        { id: zone.id, name: zone.name, kind: zone.kind, serial: zone.serial },
        `zone ${zone.name} added (${zone.kind}, id ${zone.id})`,
      );
    } else if (cmd === 'account create') {
      const a = await createAccount(db, {
        email: need(o.email, '--email'),
        password: need(o.password, '--password'),
        admin: o.admin,
        class: o.class,
      });
      print(
        a,
        `account ${a.email} created (id ${a.id})\n` +
          `API key:      ${a.apiKey}\nupdate token: ${a.updateToken}\n` +
          'These secrets are shown only now; the database keeps only their hashes.',
      );
    } else if (cmd === 'account list') {
      const list = await listAccounts(db);
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
    } else if (cmd === 'account rotate-key') {
      const a = await rotateKeys(db, need(o.email, '--email'));
      print(
        a,
        `new secrets for ${a.email}\nAPI key:      ${a.apiKey}\nupdate token: ${a.updateToken}\n` +
          'The old ones no longer work. These are shown only now.',
      );
    } else if (p[0] === 'domain' && p[1] === 'add' && p[2]) {
      const d = await addDomain(db, { name: p[2], accountEmail: need(o.account, '--account') });
      print(d, `domain ${d.name} added (id ${d.id})\ndomain token: ${d.token}\nShown only now.`);
    } else {
      io.err(`ddns: unknown command "${cmd}"\n${USAGE}`);
      return 2;
    }
    return 0;
  } catch (err) {
    if (err instanceof OpError) {
      io.err(o.json ? JSON.stringify({ error: err.message }) : `ddns: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
  }
}

import { ConfigError, parseConfig, pick } from '@ddns/config';
import { createDb, type Db } from '@ddns/db';
import { OpError } from '@ddns/registry';
import { UsageError, type CliIo, type CommandContext, type CommandGroup } from './command';
import { commandGroups } from './commands';
import { readDevEnv } from './dev-env';

const usage = (groups: CommandGroup[]) =>
  `usage: ddns <command> [--json]\n${groups.flatMap((g) => g.usage.map((u) => `  ${u}`)).join('\n')}\nReads DATABASE_URL; when it is unset, that of a running \`pnpm dev\` (.data/dev.env).`;

const stdio: CliIo = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  readInput: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** A command-line parsing error from node:util's parseArgs (unknown option, missing value...). */
function isParseArgsError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** env, with the DATABASE_URL of a running `pnpm dev` when env has none (and a note on stderr saying so). */
function withDevDatabase(env: NodeJS.ProcessEnv, io: CliIo): NodeJS.ProcessEnv {
  if (env.DATABASE_URL) return env;
  const dev = readDevEnv(env);
  if (!dev?.vars.DATABASE_URL) return env;
  io.err(`ddns: DATABASE_URL is not set; using pnpm dev's database (${dev.file})`);
  return { ...env, DATABASE_URL: dev.vars.DATABASE_URL };
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo = stdio): Promise<number> {
  const json = argv.includes('--json');
  /** A refusal: one line `ddns: …` (with the usage for a wrong command line), or one JSON object with --json. */
  const fail = (message: string, usageOf?: CommandGroup[], problems?: string[]) => {
    if (json)
      io.err(
        JSON.stringify({
          error: message,
          ...(problems ? { problems } : {}),
          ...(usageOf ? { usage: usageOf.flatMap((g) => g.usage.map((u) => `ddns ${u}`)) } : {}),
        }),
      );
    else if (problems) problems.forEach((l) => io.err(l));
    else io.err(`ddns: ${message}${usageOf ? `\n${usage(usageOf)}` : ''}`);
  };
  const [name, ...rest] = argv;
  const group = commandGroups.find((g) => g.name === name);
  if (!group) {
    const help = name === '--help' || name === '-h';
    if (help || name === undefined) io.out(usage(commandGroups));
    else fail(`unknown command "${argv.join(' ')}"`, commandGroups);
    return help ? 0 : 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(usage([group]));
    return 0;
  }
  let db: Db | undefined;
  const ctx: CommandContext = {
    io,
    env,
    db: () => {
      if (!db) {
        const config = parseConfig(pick('DATABASE_URL'), withDevDatabase(env, io));
        db = createDb(config.DATABASE_URL, { max: 2, applicationName: 'ddns-cli' });
      }
      return db;
    },
  };
  try {
    await group.run(rest, ctx);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      fail(err.problems.join('; '), undefined, err.problems);
      return 2;
    }
    if (err instanceof UsageError || isParseArgsError(err)) {
      fail(err.message, [group]);
      return 2;
    }
    if (err instanceof OpError) {
      fail(err.message);
      return 1;
    }
    throw err;
  } finally {
    await db?.destroy();
  }
}

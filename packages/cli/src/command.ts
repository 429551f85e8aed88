import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Db } from '@ddns/db';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** all of standard input (for `--password-stdin`); absent: there is none */
  readInput?: () => Promise<string>;
}

/** What a command gets from the front end: its output, and the database (opened on first use). */
export interface CommandContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  db: () => Db;
}

/**
 * One command group (`ddns zone …`, `ddns account …`): one module under commands/, listed in commands/index.ts.
 * `run` gets the arguments after the group's name and parses them with `parseCommand`.
 */
export interface CommandGroup {
  name: string;
  /** usage lines, without the leading `ddns ` */
  usage: string[];
  run: (argv: string[], ctx: CommandContext) => Promise<void>;
}

/** Wrong command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

const common = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** parseArgs with the options every command takes (--json, --help) and positionals allowed. */
export function parseCommand<O extends Options>(argv: string[], options: O) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ...common, ...options } });
}

/** Prints `json` as one JSON document with --json, otherwise the text. */
export function printer(io: CliIo, json: boolean | undefined): (value: unknown, text: string) => void {
  return (value, text) => io.out(json ? JSON.stringify(value) : text);
}

/** A required --flag. */
export function need(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`${flag} is required`);
  return v;
}

/** The account a command is about: `ddns account <sub> EMAIL` or `--email EMAIL`. */
export function emailArg(positional: string | undefined, flag: string | undefined): string {
  if (positional && flag && positional !== flag) throw new UsageError('give the e-mail address once');
  return need(positional ?? flag, 'an e-mail address (or --email)');
}

/** Text output of a listing: one line per row, tab-separated, or `empty` when there are none. */
export function table<T>(
  rows: T[],
  line: (r: T) => (string | number | null | undefined | false)[],
  empty: string,
) {
  return rows.length
    ? rows
        .map((r) =>
          line(r)
            .filter((c) => c !== undefined && c !== false)
            .map((c) => c ?? '-')
            .join('\t'),
        )
        .join('\n')
    : empty;
}

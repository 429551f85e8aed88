import { runCli } from '@ddns/cli';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process against `url`, collecting what it prints. */
export async function runAgainst(url: string, argv: string[], input?: string): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { DATABASE_URL: url },
    {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      readInput: input === undefined ? undefined : async () => input,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

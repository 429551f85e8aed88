import { runCli } from './run';

runCli(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ddns: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

export { runCli } from './run';
export type { CliIo, CommandContext, CommandGroup } from './command';
export { devDataDir, devEnvFile, readDevEnv, removeDevEnv, writeDevEnv } from './dev-env';

export { runCli } from './run';
export type { CliIo, CommandContext, CommandGroup } from './command';

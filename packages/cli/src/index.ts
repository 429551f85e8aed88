export * from './ops/zones';
export * from './ops/accounts';
export * from './ops/domains';
export { runCli } from './run';

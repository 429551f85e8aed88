export * from './schema';
export * from './connection';
export * from './errors';
export * from './link-guard';
export * from './migrate';
export * from './change-feed';
export { sql } from 'kysely';

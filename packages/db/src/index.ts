export * from './schema';
export * from './connection';
export * from './migrate';
export * from './change-feed';
export { sql } from 'kysely';

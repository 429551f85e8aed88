import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial';

/** Static list, so migrations work the same from source, from a bundle and inside jest. */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

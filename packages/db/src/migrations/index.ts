import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial';
import * as m0002 from './0002_soa_serial_and_indexes';

/** Static list, so migrations work the same from source, from a bundle and inside jest. */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_soa_serial_and_indexes': m0002,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

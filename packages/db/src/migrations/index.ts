import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001_initial';
import * as m0002 from './0002_soa_serial_and_indexes';
import * as m0003 from './0003_acme_accounts';
import * as m0004 from './0004_zone_ownership';
import * as m0005 from './0005_account_disabled';
import * as m0006 from './0006_abuse_limits';
import * as m0007 from './0007_dnssec';
import * as m0008 from './0008_v1_accounts';
import * as m0009 from './0009_update_function';
import * as m0010 from './0010_zone_suspended_at';

/** Static list, so migrations work the same from source, from a bundle and inside jest. */
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_soa_serial_and_indexes': m0002,
  '0003_acme_accounts': m0003,
  '0004_zone_ownership': m0004,
  '0005_account_disabled': m0005,
  '0006_abuse_limits': m0006,
  '0007_dnssec': m0007,
  '0008_v1_accounts': m0008,
  '0009_update_function': m0009,
  '0010_zone_suspended_at': m0010,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

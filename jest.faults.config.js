/**
 * `pnpm test:faults`: fault injection against the real service processes (Postgres links reset, black-holed,
 * writers committing minutes late). Slow by nature, so kept out of `pnpm test`; `.ci/run` runs both.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/services/*/test/faults/**/*.test.ts',
    '<rootDir>/packages/*/test/faults/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 600_000,
};

/**
 * `pnpm test:compose`: the Docker deployment test (infra/test/compose/), apart from `pnpm test`: it needs root
 * (or a running Docker engine) and takes minutes. No test database: everything runs in the compose stack.
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  testMatch: ['<rootDir>/infra/test/compose/**/*.e2e.ts'],
  testTimeout: 10 * 60_000,
  maxWorkers: 1,
  verbose: true,
  reporters: base.reporters,
};

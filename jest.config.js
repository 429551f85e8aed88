/** One jest for the whole workspace: @swc/jest compiles TypeScript to CommonJS; tsc type-checks separately. */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  testMatch: [
    '<rootDir>/services/*/test/**/*.test.ts',
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/infra/test/**/*.test.ts',
    '<rootDir>/scripts/test/**/*.test.ts',
    '<rootDir>/web/test/**/*.test.ts',
  ],
  // fault injection (slow): `pnpm test:faults`, see jest.faults.config.js
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/'],
  globalSetup: '<rootDir>/packages/testkit/src/global-setup.ts',
  globalTeardown: '<rootDir>/packages/testkit/src/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/packages/testkit/src/count-reporter.js'],
};

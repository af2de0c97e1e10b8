// Jest runs unit tests (next to the code) and integration tests (tests/integration) as native ESM,
// with TypeScript stripped by swc, against a real PostgreSQL and a real Temporal server that
// tests/jest/global-setup.ts starts for the run.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2023', transform: { react: { runtime: 'automatic' } } },
        module: { type: 'es6' },
      },
    ],
  },
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/build/', '/.data/', '/tests/e2e/'],
  globalSetup: '<rootDir>/tests/jest/global-setup.ts',
  globalTeardown: '<rootDir>/tests/jest/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

// ESM throughout: run with `node --experimental-vm-modules` (see package.json scripts).
// Type checking is `npm run typecheck`; ts-jest only transpiles, which keeps the suite fast.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json' },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/provider/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/vectors/**/*.test.ts', '<rootDir>/test/fuzz/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/test/e2e/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/integration-timeout.ts'],
    },
  ],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  coverageDirectory: 'coverage',
};

/** Jest: TypeScript tests through ts-jest; type-checking is done once by `tsc --noEmit` in `make test`. */
const os = require('node:os');

module.exports = {
  // Two test files at a time even on 2 cores (Jest's default there is one): most of the long
  // files spend their time waiting for child processes they spawn one at a time. Every test
  // works in its own temporary folder, except the course suite, whose tests run one after
  // another in one file (its folder, data/, is used by no other test).
  maxWorkers: Math.max(2, os.cpus().length - 1),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 120000,
};

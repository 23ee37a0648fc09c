/** Jest: TypeScript tests through ts-jest; type-checking is done once by `tsc --noEmit` in `make test`. */
const os = require('node:os');

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
};

/**
 * The store's behaviour again on the written backend (src/written-files.ts, where mmap-io cannot
 * be loaded): the course suite, both APIs, kills, corruption, full disks, upgrades, the log and
 * the backend's own tests. Not the tests of worker threads (the written backend refuses share()),
 * those that hand the store their own doubles of the mapped files, nor those of mappings
 * themselves (lifecycle.test.ts measures the pages a mapping gives back).
 */
const FILE_BACKEND_TESTS = [
  'ehash',
  'map-api',
  'kill',
  'oracle',
  'fuzz',
  'corruption',
  'full-disk',
  'upgrade',
  'log',
  'backend',
];

module.exports = {
  // Two test files at a time even on 2 cores (Jest's default there is one): most of the long
  // files spend their time waiting for child processes they spawn one at a time. Every test
  // works in its own temporary folder, except the course suite, whose tests run one after
  // another in one file, in the default folder (the project's data/; in the file-backend
  // project, a temporary one: the two projects may run it at once).
  maxWorkers: Math.max(2, os.cpus().length - 1),
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'mmap', testMatch: ['**/*.test.ts'] },
    {
      ...common,
      displayName: 'file backend',
      testMatch: FILE_BACKEND_TESTS.map((name) => `**/test/${name}.test.ts`),
      setupFiles: ['<rootDir>/test/helpers/file-backend-env.ts'],
    },
  ],
};

// Runs bench/independent-stores.ts (the machine's reference of `make bench`'s thread rows) in a
// process of its own, where its workers find the compiled phase-worker.js:
//   argv = load file, run file, folder, threads; prints the result as one JSON line.

import { runIndependentStores } from '../../bench/independent-stores';

const [loadFile, runFile, dir, threads] = process.argv.slice(2);
runIndependentStores(loadFile, runFile, dir, Number(threads)).then((r) =>
  process.stdout.write(JSON.stringify(r) + '\n'),
);

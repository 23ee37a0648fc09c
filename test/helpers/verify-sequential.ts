// Child process: opens the store in argv[2] and checks that keys 0 .. argv[3]-1 are present
// with value = key * 3 + 1 (as written by the tests). Prints one JSON line.

import { PmEHash } from '../../src';

const [dir, count] = [process.argv[2], Number(process.argv[3])];
const store = new PmEHash({ dir });
const out = new Uint32Array(2);
let missing = 0;
let wrong = 0;
for (let k = 0; k < count; k++) {
  if (store.words.searchWords(k, 0, out) !== 0) missing++;
  else if (out[0] !== (k * 3 + 1) >>> 0 || out[1] !== Math.floor((k * 3 + 1) / 4294967296)) wrong++;
}
const result = { missing, wrong, problems: store.check(), stats: store.stats(), repairs: store.repairs };
store.close();
process.stdout.write(JSON.stringify(result) + '\n');

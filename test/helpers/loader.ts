// Child process of the kill test: inserts keys argv[3], argv[3]+1, ... (value = key * 3 + 1)
// into the store in argv[2] until it is killed, appending each acknowledged key to argv[4].

import * as fs from 'node:fs';
import { PmEHash } from '../../src';

const [dir, first, ackFile] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const acks = fs.openSync(ackFile, 'w');
const store = new PmEHash({ dir, bucketsPerPage: 64 });
process.stdout.write('ready\n');
for (let k = first; ; k++) {
  if (store.words.insertWords(k, 0, k * 3 + 1, 0) !== 0) throw new Error(`key ${k} was already present`);
  fs.writeSync(acks, `${k}\n`);
}

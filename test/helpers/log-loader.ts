// Child process of the log kill test: inserts keys argv[3], argv[3]+1, ... (value = key * 3 + 1)
// into the store in argv[2], in durability 'log', until it is killed. Appends each returned key
// to argv[4], and "F<key>" after every 200 keys once flush() has returned (that key and those
// before it are durable).

import * as fs from 'node:fs';
import { PmEHash } from '../../src';

const [dir, first, ackFile] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
const acks = fs.openSync(ackFile, 'w');
const store = new PmEHash({ dir, durability: 'log', bucketsPerPage: 64 });
process.stdout.write('ready\n');
for (let k = first; ; k++) {
  if (store.words.insertWords(k, 0, k * 3 + 1, 0) !== 0) throw new Error(`key ${k} was already present`);
  fs.writeSync(acks, `${k}\n`);
  if ((k - first) % 200 === 199) {
    store.flush();
    fs.writeSync(acks, `F${k}\n`);
  }
}

// Child process: opens the store in argv[2], says "open" on stdout, and keeps it open until its
// stdin ends (or it is killed).

import { PmEHash } from '../../src';

const store = new PmEHash({ dir: process.argv[2] });
store.insert({ key: 42, value: 4242 });
process.stdout.write('open\n');
process.stdin.resume();
process.stdin.on('end', () => {
  store.close();
  process.stdout.write('closed\n');
});

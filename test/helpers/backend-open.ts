// Child process of the backend test: opens the store in argv[2] twice on the default backend,
// setting a key each time, and prints the backend and the size after each.

import { PmEHash } from '../../src';

for (let i = 0; i < 2; i++) {
  const store = new PmEHash({ dir: process.argv[2] });
  store.set(i, i);
  process.stdout.write(`${store.stats().backend} ${store.size}\n`);
  store.close();
}

// Child process: tries to open the store in argv[2] and prints {ok} or {code, message} as JSON.
// With argv[3] = 'nobody' it first drops root privileges, so that file permissions apply.

import { PmEHash } from '../../src';

if (process.argv[3] === 'nobody') {
  process.setgid!(65534);
  process.setuid!(65534);
}
try {
  new PmEHash({ dir: process.argv[2] }).close();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  const e = err as Error & { code?: string };
  process.stdout.write(JSON.stringify({ ok: false, name: e.name, code: e.code, message: e.message }));
}

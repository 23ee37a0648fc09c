// Child process: opens the store in argv[2] (running recovery) and closes it. The crash tests
// run it with PMEHASH_CRASH_AFTER_PERSIST=N to kill it inside recovery.

import { PmEHash } from '../../src';

new PmEHash({ dir: process.argv[2] }).close();

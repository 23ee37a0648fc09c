// Child process: opens the store in argv[2] (running recovery) and closes it, killed by SIGKILL
// right after its argv[3]-th persist: the crash tests use it to crash recovery itself.

import { PmEHash } from '../../src';
import { CrashingFiles } from './test-files';

new PmEHash({ dir: process.argv[2] }, new CrashingFiles(false, Number(process.argv[3]))).close();

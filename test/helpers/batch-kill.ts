// Child process of the batch tests: a batch of 1,000 puts, then one of 100,000 operations, on
// the store in dir (argv: dir, 'owner' or 'worker', crash point N). The big batch is made by the
// thread that opened the store, or by a worker thread attached to it; that thread's files
// SIGKILL the process right after their N-th persist (0: never). Without a crash it prints the
// persists the big batch's thread made before and after the big batch, as JSON.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { BatchOperation } from '../../include-types/kv';
import { PmEHash } from '../../src';
import type { ShareHandle } from '../../src/shared-control';
import { CrashingFiles } from './test-files';

/** The small batch: keys 0..999 set to 1. */
export const SMALL_BATCH: BatchOperation[] = Array.from({ length: 1000 }, (_, k) => ({
  type: 'put',
  key: k,
  value: 1,
}));

/** The big batch: keys 0..99,999 set to 2, then keys 0..99 deleted. */
export function bigBatch(): BatchOperation[] {
  const ops: BatchOperation[] = [];
  for (let k = 0; k < 100_000; k++) ops.push({ type: 'put', key: k, value: 2 });
  for (let k = 0; k < 100; k++) ops.push({ type: 'del', key: k });
  return ops;
}

function runBig(store: PmEHash, files: CrashingFiles): string {
  const before = files.persists;
  store.batch(bigBatch());
  return JSON.stringify({ before, after: files.persists });
}

if (isMainThread && require.main === module) {
  const [dir, who, crashAfter] = [process.argv[2], process.argv[3], Number(process.argv[4])];
  if (who === 'owner') {
    const files = new CrashingFiles(false, crashAfter);
    const store = new PmEHash({ dir, bucketsPerPage: 64 }, files);
    store.batch(SMALL_BATCH);
    process.stdout.write(runBig(store, files));
    store.close();
  } else {
    const store = new PmEHash({ dir, bucketsPerPage: 64 });
    store.batch(SMALL_BATCH);
    const worker = new Worker(__filename, { workerData: { dir, handle: store.share(), crashAfter } });
    worker.on('message', (m: string) => process.stdout.write(m));
    worker.on('error', (err) => {
      throw err;
    });
    worker.on('exit', () => store.close());
  }
} else if (!isMainThread && workerData?.handle) {
  const { dir, handle, crashAfter } = workerData as { dir: string; handle: ShareHandle; crashAfter: number };
  const files = new CrashingFiles(false, crashAfter);
  const store = new PmEHash({ dir }, files, handle);
  parentPort!.postMessage(runBig(store, files));
  store.close();
}

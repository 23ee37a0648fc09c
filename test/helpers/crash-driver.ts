// Child process of the crash tests: replays a sequence (argv: dir, sequence name, ack file,
// crash point N) on the store in dir, appending the index of each operation to the ack file once
// it has returned (a file, not a pipe: a write to a full pipe fails with EAGAIN; the page cache
// outlives SIGKILL). It is killed by SIGKILL right after its N-th persist (N = 0: never). When
// it survives it writes a summary line: persist calls and the structure changes it made, among
// them how many single removes halved the catalog more than one level.

import * as fs from 'node:fs';
import { PmEHash } from '../../src';
import { applyToStore, sequence, SEQUENCES, type SequenceName } from './crash-sequence';
import { CrashingFiles } from './test-files';

const [dir, which, ackFile, crashAfter] = [
  process.argv[2],
  process.argv[3] as SequenceName,
  process.argv[4],
  Number(process.argv[5] ?? 0),
];
const acks = fs.openSync(ackFile, 'w');
const spec = SEQUENCES[which];
const files = new CrashingFiles(false, crashAfter);
const store = new PmEHash({ dir, bucketsPerPage: spec.bucketsPerPage }, files);
let { buckets, globalDepth } = store.stats();
const counts = { splits: 0, merges: 0, doublings: 0, halvings: 0, multiLevelHalvings: 0, emptied: 0 };
sequence(spec).forEach((op, i) => {
  applyToStore(store, op);
  fs.writeSync(acks, `${i}\n`);
  const now = store.stats();
  if (now.buckets > buckets) counts.splits += now.buckets - buckets;
  if (now.buckets < buckets) counts.merges += buckets - now.buckets;
  if (now.globalDepth > globalDepth) counts.doublings += now.globalDepth - globalDepth;
  if (now.globalDepth < globalDepth) counts.halvings += globalDepth - now.globalDepth;
  if (now.globalDepth < globalDepth - 1) counts.multiLevelHalvings++;
  if (now.keys === 0 && op.kind !== 'insert') counts.emptied++;
  ({ buckets, globalDepth } = now);
});
store.close();
fs.writeSync(acks, `done ${JSON.stringify({ persists: files.persists, ...counts })}\n`);

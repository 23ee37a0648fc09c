// The full consistency check behind PmEHash.check(): every invariant of the structure, verified
// from the mapped files, compared with what the store keeps in memory. Read-only.

import { BUCKET_KV_SLOTS, MAX_GLOBAL_DEPTH } from '../include-types/layout';
import { BITMAP, checksumHolds, DEPTH, KEY_HI, KEY_LO, USED } from './bucket';
import { pow2 } from './bits';
import { hashKey } from './hash';
import type { StoreState } from './store-state';

const MAX_PROBLEMS = 100;

export function checkStore(s: StoreState): string[] {
  const problems: string[] = [];
  const report = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const { catalog, pages } = s;
  const G = s.globalDepth;
  const size = pow2(G);
  const slots = pages.pageCount * pages.bucketsPerPage;
  const first = new Int32Array(slots).fill(-1);
  const refs = new Int32Array(slots);
  const depthCount = new Int32Array(MAX_GLOBAL_DEPTH + 2);
  let keys = 0;

  if (s.meta.pendingLogs().length > 0) report('the operation log holds a record outside of an operation');
  if (pages.pageCount !== s.maxFileId - 1)
    report(`${pages.pageCount} page files mapped, metadata maxFileId ${s.maxFileId}`);

  for (let i = 0; i < size; i++) {
    const fileId = catalog.fileId(i);
    const offset = catalog.offset(i);
    if (!pages.isBucketAddress(fileId, offset)) {
      report(`catalog entry ${i} points outside the pages (${fileId}@${offset})`);
      continue;
    }
    const id = pages.bucketId(fileId, offset);
    if (!pages.isUsed(fileId, pages.slotOf(offset)))
      report(`catalog entry ${i} points at free slot ${fileId}@${offset}`);
    const w = pages.words[fileId];
    const b = offset >>> 2;
    const d = w[b + DEPTH];
    if (first[id] >= 0) {
      if (d <= G && ((first[id] ^ i) & (pow2(d) - 1)) !== 0)
        report(`entries ${first[id]} and ${i} disagree on the low ${d} bits of bucket ${fileId}@${offset}`);
      refs[id]++;
      continue;
    }
    first[id] = i;
    refs[id] = 1;
    if (d > G) {
      report(`bucket ${fileId}@${offset}: local depth ${d} > global depth ${G}`);
      continue;
    }
    depthCount[d]++;
    const bitmap = w[b + BITMAP] & USED;
    if (!checksumHolds(w, b, fileId, offset))
      report(`bucket ${fileId}@${offset}: checksum of its kv slots does not match`);
    const pattern = i & (pow2(d) - 1);
    for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
      if ((bitmap & (1 << j)) === 0) continue;
      keys++;
      const lo = w[b + KEY_LO + j];
      const hi = w[b + KEY_HI + j];
      if ((hashKey(lo, hi) & (pow2(d) - 1)) !== pattern) {
        report(`bucket ${fileId}@${offset} slot ${j}: key does not hash to this bucket`);
      }
      for (let k = j + 1; k < BUCKET_KV_SLOTS; k++) {
        if ((bitmap & (1 << k)) !== 0 && lo === w[b + KEY_LO + k] && hi === w[b + KEY_HI + k]) {
          report(`bucket ${fileId}@${offset}: duplicate key in slots ${j} and ${k}`);
        }
      }
    }
  }

  const cursor = s.ctl.allocationCursor;
  for (let id = 0; id < slots; id++) {
    const fileId = pages.fileIdOfBucket(id);
    const slot = id % pages.bucketsPerPage;
    const reached = first[id] >= 0;
    if (reached) {
      const d = pages.words[fileId][(pages.offsetOfBucket(id) >>> 2) + DEPTH];
      if (d <= G && refs[id] !== pow2(G - d))
        report(
          `bucket ${fileId}@${pages.offsetOfBucket(id)} of depth ${d} is reached from ${refs[id]} entries, expected ${pow2(G - d)}`,
        );
    }
    if (pages.isUsed(fileId, slot) !== reached)
      report(
        `page ${fileId} slot ${slot}: bitmap says ${reached ? 'free' : 'used'}, catalog says ${reached ? 'used' : 'free'}`,
      );
    // Splits take the first free slot from the allocation cursor on (bucket-slots.ts).
    if (!reached && id < cursor) report(`page ${fileId} slot ${slot}: free, but below the allocation cursor ${cursor}`);
  }

  const counted = s.ctl.keys();
  if (keys !== counted) report(`${keys} keys in buckets, ${counted} counted`);
  for (let d = 0; d <= G; d++) {
    if (depthCount[d] !== s.bucketsAtDepth[d])
      report(`${depthCount[d]} buckets of depth ${d}, ${s.bucketsAtDepth[d]} counted`);
  }
  if (G > 0 && depthCount[G] === 0) report(`no bucket has local depth ${G}: the catalog should have halved`);
  return problems;
}

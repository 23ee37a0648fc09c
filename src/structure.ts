// Structure changes of the extendible hash: bucket split and merge, catalog doubling and
// halving, bucket-slot allocation and page files. Each follows the persist order of its section
// in FORMAT.md, cited by step. They work on the store's state; the caller (PmEHash) refreshes
// what it caches about the catalog afterwards.

import * as layout from '../include-types/layout';
import { LogOp, MAX_GLOBAL_DEPTH } from '../include-types/layout';
import * as bucket from './bucket';
import { copySlot, slotCheck } from './bucket';
import { pow2 } from './bits';
import { ioError, PmEHashError } from './errors';
import { CATALOG_FILE, filePath, pageFileName } from './files';
import { hashKey } from './hash';
import type { StoreState } from './store-state';

// The hot path's constants as this module's own (see "Constants on the hot path" in bucket.ts).
const { BUCKET_KV_SLOTS, BUCKET_SIZE } = layout;
const { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE } = bucket;

/** Splits the full bucket at (fileId, offset), reached from catalog index i: FORMAT.md, split. */
export function split(s: StoreState, i: number, fileId: number, offset: number): void {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  const d = w[b + DEPTH];
  const pattern = i & (pow2(d) - 1);
  const id = allocateBucket(s); // step 1
  if (d === s.globalDepth) {
    // step 2
    try {
      doubleCatalog(s);
    } catch (err) {
      freeBucket(s, s.pages.fileIdOfBucket(id), s.pages.offsetOfBucket(id));
      throw err;
    }
  }

  const nFileId = s.pages.fileIdOfBucket(id);
  const nOffset = s.pages.offsetOfBucket(id);
  fillNewBucket(s, fileId, offset, nFileId, nOffset, d); // step 3
  s.meta.beginLog(LogOp.Split, fileId, offset, nFileId, nOffset, d, pattern); // step 4
  s.catalog.redirect(pow2(s.globalDepth), d + 1, pattern | pow2(d), nFileId, nOffset); // step 5
  finishOldBucket(s, fileId, offset, d); // step 6
  s.meta.endLog(); // step 7
  s.bucketsAtDepth[d]--;
  s.bucketsAtDepth[d + 1] += 2;
}

/** Bits of B leaving it in the split under way, and their checksum part (set by fillNewBucket). */
const leaving = new Int32Array(2);

/**
 * Split step 3: copies into the new bucket N the keys of the full bucket B whose hash bit d is
 * 1, with their checksum, local depth d+1, and persists N.
 */
export function fillNewBucket(
  s: StoreState,
  fileId: number,
  offset: number,
  nFileId: number,
  nOffset: number,
  d: number,
): void {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  const nw = s.pages.words[nFileId];
  const nb = nOffset >>> 2;
  let moved = 0; // used bits leaving B, which are N's used bits too
  let movedCheck = 0; // their checksum contributions, the same in B and in N
  // A key that moves keeps its slot number in N, so its checksum part is the same in both
  // buckets and is worked out once. Without a branch on the hash bit, which is a coin toss for
  // every key: every slot is copied, and the bits are set only for the keys that move (a copy
  // that does not is left in a slot N does not use).
  for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
    const h = hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]);
    const move = (h >>> d) & 1;
    copySlot(w, b, j, nw, nb, j);
    moved |= move << j;
    movedCheck ^= slotCheck(h, j, w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]) & -move;
  }
  nw[nb + BITMAP] = moved ^ movedCheck;
  nw[nb + DEPTH] = d + 1;
  s.pages.persistBucket(nFileId, nOffset);
  leaving[0] = moved;
  leaving[1] = movedCheck;
}

/** Split step 6: clears from B the keys fillNewBucket moved, sets its local depth d+1, persists B. */
export function finishOldBucket(s: StoreState, fileId: number, offset: number, d: number): void {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  w[b + BITMAP] = (w[b + BITMAP] & ~leaving[0]) ^ leaving[1]; // B was full: every slot j was used
  w[b + DEPTH] = d + 1;
  s.pages.persistRange(fileId, offset, BUCKET_SIZE);
}

/**
 * Merges the emptied bucket reached from catalog index i with its buddy, and the survivor with
 * its own buddy while one of a pair is empty; then halves the catalog while no bucket has local
 * depth G. FORMAT.md, merge and catalog halving.
 */
export function mergeEmpty(s: StoreState, i: number): void {
  const redirect: Redirect = (depth, pattern, fileId, offset) =>
    s.catalog.redirect(pow2(s.globalDepth), depth, pattern, fileId, offset);
  for (;;) {
    const xFile = s.catalog.fileId(i);
    const xOffset = s.catalog.offset(i);
    const xw = s.pages.words[xFile];
    const d = xw[(xOffset >>> 2) + DEPTH];
    if (d === 0) break;
    const pattern = i & (pow2(d) - 1);
    const buddy = pattern ^ pow2(d - 1);
    const gone = mergePair(
      s,
      d,
      pattern,
      xFile,
      xOffset,
      buddy,
      s.catalog.fileId(buddy),
      s.catalog.offset(buddy),
      redirect,
    );
    if (gone < 0) break;
    freeBucket(s, s.pages.fileIdOfBucket(gone), s.pages.offsetOfBucket(gone)); // step 5
    s.bucketsAtDepth[d] -= 2;
    s.bucketsAtDepth[d - 1]++;
    i = pattern & (pow2(d - 1) - 1);
  }
  halveUnusedLevels(s);
}

/** Points the catalog entries of `pattern` (mod 2^depth) at the bucket (fileId, offset). */
export type Redirect = (depth: number, pattern: number, fileId: number, offset: number) => void;

/**
 * FORMAT.md, merge: steps 1-4, for bucket X (at catalog pattern `pattern`, local depth d) and its
 * buddy Y (at `buddy`), when Y has depth d too and one of them is empty: the empty one E goes,
 * the other one S stays with depth d-1; `redirect` points E's entries at S. A shared store
 * passes `hold`, which takes the shared hold of E's entries before step 2 and may give up
 * waiting for it (then the merge is abandoned with its record cleared, and the error thrown).
 * Returns E's bucket id, for step 5, or -1 when they cannot merge.
 */
export function mergePair(
  s: StoreState,
  d: number,
  pattern: number,
  xFile: number,
  xOffset: number,
  buddy: number,
  yFile: number,
  yOffset: number,
  redirect: Redirect,
  hold?: (depth: number, pattern: number) => void,
): number {
  const xw = s.pages.words[xFile];
  const yw = s.pages.words[yFile];
  if (yw[(yOffset >>> 2) + DEPTH] !== d) return -1;
  const xEmpty = (xw[(xOffset >>> 2) + BITMAP] & USED) === 0;
  if (!xEmpty && (yw[(yOffset >>> 2) + BITMAP] & USED) !== 0) return -1;
  const [eFile, eOffset, ePattern, sFile, sOffset, sw] = xEmpty
    ? [xFile, xOffset, pattern, yFile, yOffset, yw]
    : [yFile, yOffset, buddy, xFile, xOffset, xw];

  s.meta.beginLog(LogOp.Merge, eFile, eOffset, sFile, sOffset, d, ePattern); // step 1
  if (hold) {
    try {
      hold(d, ePattern);
    } catch (err) {
      // Nothing was redirected yet: the merge is given up, and its record with it, so that no
      // recovery redoes it over what other threads change in E and S afterwards.
      s.meta.endLog();
      throw err;
    }
  }
  redirect(d, ePattern, sFile, sOffset); // step 2
  sw[(sOffset >>> 2) + DEPTH] = d - 1; // step 3
  s.pages.persistRange(sFile, sOffset, BUCKET_SIZE);
  s.meta.endLog(); // step 4
  return s.pages.bucketId(eFile, eOffset);
}

/** Halves the catalog while no bucket has local depth G; returns the number of levels. */
export function halveUnusedLevels(s: StoreState): number {
  let levels = 0;
  for (; s.globalDepth > 0 && s.bucketsAtDepth[s.globalDepth] === 0; levels++) halveCatalog(s);
  return levels;
}

/** FORMAT.md, catalog doubling: steps 1-2. */
export function doubleCatalog(s: StoreState): void {
  if (s.globalDepth >= MAX_GLOBAL_DEPTH) {
    throw new PmEHashError(
      'PMEHASH_FULL',
      `catalog at its maximum depth ${MAX_GLOBAL_DEPTH}: a bucket cannot split further`,
    );
  }
  try {
    s.catalog.prepareDoubling(pow2(s.globalDepth));
  } catch (err) {
    throw ioError(`cannot grow ${CATALOG_FILE} in ${s.dir}`, err);
  }
  s.meta.commit(s.maxFileId, s.globalDepth + 1);
  s.globalDepth++;
}

/** FORMAT.md, catalog halving: steps 1-3. */
function halveCatalog(s: StoreState): void {
  shrinkCatalog(s, pow2(s.globalDepth));
  s.meta.commit(s.maxFileId, s.globalDepth - 1);
  s.globalDepth--;
  shrinkCatalog(s, pow2(s.globalDepth));
}

/** Shrinks the catalog file to `entries` when it is larger. */
export function shrinkCatalog(s: StoreState, entries: number): void {
  try {
    s.catalog.shrinkTo(entries);
  } catch {
    // A larger file is harmless until the next halving, whose step 1 tries again; recovery
    // accepts a catalog of 2^(G+1) entries and trims it.
  }
}

/** Takes a free bucket slot (allocating a page file when none is left) and marks it used. */
function allocateBucket(s: StoreState): number {
  let id = s.freeList.take();
  if (id < 0) {
    addPage(s);
    id = s.freeList.take();
  }
  s.pages.setUsed(s.pages.fileIdOfBucket(id), id % s.pages.bucketsPerPage, true);
  return id;
}

/** FORMAT.md, page allocation: steps 1-2; the new page's slots join the free list. */
export function addPage(s: StoreState): void {
  const fileId = s.maxFileId;
  try {
    s.pages.createPage(fileId);
    s.files.syncFolder(s.dir); // the new name must be durable before the commit names it
  } catch (err) {
    s.pages.dropLastPage(fileId);
    s.files.remove(filePath(s.dir, pageFileName(fileId)));
    throw ioError(`cannot create page file ${fileId} in ${s.dir}`, err);
  }
  s.meta.commit(fileId + 1, s.globalDepth);
  s.maxFileId = fileId + 1;
  if (s.shared) return; // threads take slots from the page bitmaps (shared-structure.ts)
  for (let slot = 0; slot < s.pages.bucketsPerPage; slot++) {
    s.freeList.put(s.pages.bucketId(fileId, s.pages.bucketOffset(slot)));
  }
}

function freeBucket(s: StoreState, fileId: number, offset: number): void {
  s.pages.setUsed(fileId, s.pages.slotOf(offset), false);
  s.freeList.put(s.pages.bucketId(fileId, offset));
}

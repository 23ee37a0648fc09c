// Structure changes of the extendible hash: bucket split and merge, catalog doubling and
// halving, bucket-slot allocation and page files. Each function states its persist order and
// what recovery finds if a crash comes between two steps. They work on the store's state; the
// caller (PmEHash) refreshes what it caches about the catalog afterwards.

import * as fs from 'node:fs';
import { BUCKET_KV_SLOTS, BUCKET_SIZE, LogOp, MAX_GLOBAL_DEPTH } from '../include-types/layout';
import { BITMAP, copySlot, DEPTH, KEY_HI, KEY_LO, slotCheck, USED, VALUE } from './bucket';
import { pow2 } from './catalog';
import { ioError, PmEHashError } from './errors';
import { CATALOG_FILE, filePath, pageFileName } from './files';
import { hashKey } from './hash';
import type { StoreState } from './store-state';

/*
 * split of the full bucket B (local depth d) reached from catalog index i:
 *   0. take a free slot N, mark it used in its page bitmap, persist
 *   1. if d == G, double the catalog (its own committed step)
 *   2. copy into N the keys of B whose hash bit d is 1 (with their checksum), local depth d+1, persist N
 *   3. log Split(B, N, d, pattern), persist                       <- commit point
 *   4. point the catalog entries of pattern|2^d (mod 2^(d+1)) at N, persist
 *   5. clear the moved keys' bits (and checksum parts) in B, set its local depth to d+1, persist
 *   6. clear the log
 * Before 3, N is unreachable and recovery frees it; from 3 on, recovery redoes 4 and 5.
 */
export function split(s: StoreState, i: number, fileId: number, offset: number): void {
  const w = s.pages.words[fileId];
  const b = offset >>> 2;
  const d = w[b + DEPTH];
  const pattern = i & (pow2(d) - 1);
  const id = allocateBucket(s);
  if (d === s.globalDepth) {
    try {
      doubleCatalog(s);
    } catch (err) {
      freeBucket(s, s.pages.fileIdOfBucket(id), s.pages.offsetOfBucket(id));
      throw err;
    }
  }

  const nFileId = s.pages.fileIdOfBucket(id);
  const nOffset = s.pages.offsetOfBucket(id);
  const nw = s.pages.words[nFileId];
  const nb = nOffset >>> 2;
  const word = w[b + BITMAP]; // B is full: every slot j is used
  let moved = 0; // used bits leaving B
  let movedCheck = 0; // their checksum contributions in B
  let nWord = 0; // N's bitmap word: used bits and checksum
  let k = 0; // N's next slot
  // Without a branch on the hash bit, which is a coin toss for every key: each slot is copied to
  // N's slot k, and k advances (and the bits are set) only when the key moves. A copy that does
  // not move is overwritten by the next one, or left in a slot N does not use.
  for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
    const h = hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]);
    const move = (h >>> d) & 1;
    const all = -move; // all ones when the key moves, else 0
    const vLo = w[b + VALUE + 2 * j];
    const vHi = w[b + VALUE + 2 * j + 1];
    copySlot(w, b, j, nw, nb, k);
    moved |= move << j;
    movedCheck ^= slotCheck(h, j, vLo, vHi) & all;
    nWord = (nWord | (move << k)) ^ (slotCheck(h, k, vLo, vHi) & all);
    k += move;
  }
  nw[nb + BITMAP] = nWord;
  nw[nb + DEPTH] = d + 1;
  s.pages.persistBucket(nFileId, nOffset);

  s.meta.beginLog(LogOp.Split, fileId, offset, nFileId, nOffset, d, pattern);
  s.catalog.redirect(pow2(s.globalDepth), d + 1, pattern | pow2(d), nFileId, nOffset);
  w[b + BITMAP] = (word & ~moved) ^ movedCheck;
  w[b + DEPTH] = d + 1;
  s.pages.persistRange(fileId, offset, BUCKET_SIZE);
  s.meta.endLog();
  s.bucketsAtDepth[d]--;
  s.bucketsAtDepth[d + 1] += 2;
}

/*
 * merge, starting from the emptied bucket reached from catalog index i. While a bucket X of
 * local depth d > 0 and its buddy Y (the same low d-1 bits, depth d) are such that one of
 * them is empty, the empty one (E) goes and the other (S) takes its entries:
 *   1. log Merge(E, S, d, E's pattern), persist                    <- commit point
 *   2. point E's catalog entries at S, persist
 *   3. set S's local depth to d-1, persist
 *   4. clear the log; then free E's slot (page bitmap, free list)
 * Then, while no bucket has local depth G, the catalog halves (one metadata commit).
 */
export function mergeEmpty(s: StoreState, i: number): void {
  for (;;) {
    const xFile = s.catalog.fileId(i);
    const xOffset = s.catalog.offset(i);
    const xw = s.pages.words[xFile];
    const d = xw[(xOffset >>> 2) + DEPTH];
    if (d === 0) break;
    const pattern = i & (pow2(d) - 1);
    const buddy = pattern ^ pow2(d - 1);
    const yFile = s.catalog.fileId(buddy);
    const yOffset = s.catalog.offset(buddy);
    const yw = s.pages.words[yFile];
    if (yw[(yOffset >>> 2) + DEPTH] !== d) break;
    const xEmpty = (xw[(xOffset >>> 2) + BITMAP] & USED) === 0;
    if (!xEmpty && (yw[(yOffset >>> 2) + BITMAP] & USED) !== 0) break;
    const [eFile, eOffset, ePattern, sFile, sOffset, sw] = xEmpty
      ? [xFile, xOffset, pattern, yFile, yOffset, yw]
      : [yFile, yOffset, buddy, xFile, xOffset, xw];

    s.meta.beginLog(LogOp.Merge, eFile, eOffset, sFile, sOffset, d, ePattern);
    s.catalog.redirect(pow2(s.globalDepth), d, ePattern, sFile, sOffset);
    sw[(sOffset >>> 2) + DEPTH] = d - 1;
    s.pages.persistRange(sFile, sOffset, BUCKET_SIZE);
    s.meta.endLog();
    freeBucket(s, eFile, eOffset);
    s.bucketsAtDepth[d] -= 2;
    s.bucketsAtDepth[d - 1]++;
    i = pattern & (pow2(d - 1) - 1);
  }
  while (s.globalDepth > 0 && s.bucketsAtDepth[s.globalDepth] === 0) halveCatalog(s);
}

/*
 * doubling: 1. grow the catalog file if needed and copy entries [0, 2^G) to [2^G, 2^(G+1)),
 * persist  2. commit globalDepth G+1 in the metadata. Before 2 the new half is not live.
 */
function doubleCatalog(s: StoreState): void {
  if (s.globalDepth >= MAX_GLOBAL_DEPTH) {
    throw new PmEHashError('PMEHASH_FULL', `catalog at its maximum depth ${MAX_GLOBAL_DEPTH}: a bucket cannot split further`);
  }
  try {
    s.catalog.prepareDoubling(pow2(s.globalDepth));
  } catch (err) {
    throw ioError(`cannot grow ${CATALOG_FILE} in ${s.dir}`, err);
  }
  s.meta.commit(s.maxFileId, s.globalDepth + 1);
  s.globalDepth++;
}

/* halving: commit globalDepth G-1 (the upper half stops being live), then shrink the file. */
function halveCatalog(s: StoreState): void {
  s.meta.commit(s.maxFileId, s.globalDepth - 1);
  s.globalDepth--;
  try {
    s.catalog.shrinkTo(pow2(s.globalDepth));
  } catch {
    // Keeping the larger file is harmless: recovery accepts a catalog of 2^(G+1) entries.
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

/*
 * page allocation: 1. create page file maxFileId (all zero: every slot free)  2. commit
 * maxFileId+1. A crash between them leaves a file recovery removes.
 */
function addPage(s: StoreState): void {
  const fileId = s.maxFileId;
  try {
    s.pages.createPage(fileId);
  } catch (err) {
    fs.rmSync(filePath(s.dir, pageFileName(fileId)), { force: true });
    throw ioError(`cannot create page file ${fileId} in ${s.dir}`, err);
  }
  s.meta.commit(fileId + 1, s.globalDepth);
  s.maxFileId = fileId + 1;
  for (let slot = 0; slot < s.pages.bucketsPerPage; slot++) {
    s.freeList.put(s.pages.bucketId(fileId, s.pages.bucketOffset(slot)));
  }
}

function freeBucket(s: StoreState, fileId: number, offset: number): void {
  s.pages.setUsed(fileId, s.pages.slotOf(offset), false);
  s.freeList.put(s.pages.bucketId(fileId, offset));
}

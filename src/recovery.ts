// Recovery of an existing store, as numbered steps. Steps 1-4 only read and validate: a corrupt
// or foreign folder is refused with PmEHashCorruptError before anything is written. Steps 5-8
// redo the logged operation a crash interrupted, then rebuild what lives only in memory.
// Running recovery twice gives the same state as running it once.

import * as fs from 'node:fs';
import {
  BUCKET_KV_SLOTS, BUCKET_SIZE, CATALOG_ENTRY_SIZE, LogOp, MAX_GLOBAL_DEPTH,
} from '../include-types/layout';
import type { EhashMetadata } from '../include-types/store';
import { BITMAP, bucketCheck, checksumHolds, DEPTH, KEY_HI, KEY_LO, popcount, USED, VALUE } from './bucket';
import { Catalog, pow2 } from './catalog';
import { PageTable, pageFileSize } from './data-page';
import { PmEHashCorruptError } from './errors';
import { CATALOG_FILE, filePath, METADATA_FILE, pageFileName } from './files';
import { FreeList } from './free-list';
import { hashKey } from './hash';
import { MetadataFile, parseMetadata, type LogRecord } from './metadata';
import type { FolderContents } from './open-store';
import { mapFile, Persistence } from './region';
import type { StoreState } from './store-state';

export function recoverStore(dir: string, persistence: Persistence, contents: FolderContents): StoreState {
  // 1. Metadata: size, magic, version, checksum (or a pending metadata log record).
  const metaBytes = fs.readFileSync(filePath(dir, METADATA_FILE));
  const md = parseMetadata(metaBytes);

  // 2. Files present: catalog sized for 2^G entries (2^(G+1) mid-doubling), page files
  //    1 .. maxFileId-1 all present with the fixed size. A file named maxFileId is a page whose
  //    allocation a crash interrupted before the metadata commit; it holds nothing and is removed.
  checkFiles(dir, md, contents);

  // 3. Map everything (mapping changes nothing).
  const meta = new MetadataFile(mapFile(filePath(dir, METADATA_FILE)), persistence);
  const catalog = Catalog.open(dir, persistence);
  const pages = new PageTable(dir, md.bucketsPerPage, persistence);
  for (let id = 1; id < md.maxFileId; id++) pages.mapPage(id);

  // 4. Catalog entries and the pending log record point at bucket slots of existing pages.
  for (let i = 0; i < md.catalogSize; i++) {
    if (!pages.isBucketAddress(catalog.fileId(i), catalog.offset(i))) {
      throw new PmEHashCorruptError(CATALOG_FILE,
        `entry ${i} points outside the pages: fileId ${catalog.fileId(i)} offset ${catalog.offset(i)}`);
    }
  }
  const log = meta.pendingLog();
  if (log) checkLog(log, md, pages);

  // 5. Redo the interrupted operation; then the metadata block is whole again.
  const repairs: string[] = [];
  if (log) {
    redo(log, md, meta, catalog, pages);
    repairs.push(`redid an interrupted ${logOpName(log.op)}`);
  }

  // 6. Structure: every bucket of local depth d is reached from exactly the 2^(G-d) entries
  //    that share its low d bits; nothing else is trusted below.
  // Bucket memory is read once per bucket (at its first entry); later entries use depthOf.
  const slots = pages.pageCount * md.bucketsPerPage;
  const refs = new Int32Array(slots);
  const first = new Int32Array(slots).fill(-1);
  const depthOf = new Uint8Array(slots);
  const bucketsAtDepth = new Int32Array(MAX_GLOBAL_DEPTH + 2);
  const cw = catalog.words;
  let keys = 0;
  for (let i = 0; i < md.catalogSize; i++) {
    const fileId = cw[2 * i];
    const offset = cw[2 * i + 1];
    const id = pages.bucketId(fileId, offset);
    if (first[id] < 0) {
      const w = pages.words[fileId];
      const b = offset >>> 2;
      const depth = w[b + DEPTH];
      if (depth > md.globalDepth) {
        throw new PmEHashCorruptError(pageFileName(fileId), `bucket at offset ${offset} has local depth ${depth} (global depth ${md.globalDepth})`);
      }
      if (!checksumHolds(w, b)) {
        throw new PmEHashCorruptError(pageFileName(fileId), `bucket at offset ${offset}: checksum of its kv slots does not match`);
      }
      first[id] = i;
      depthOf[id] = depth;
      bucketsAtDepth[depth]++;
      keys += popcount(w[b + BITMAP] & USED);
    } else if (((first[id] ^ i) & (pow2(depthOf[id]) - 1)) !== 0) {
      throw new PmEHashCorruptError(CATALOG_FILE, `entries ${first[id]} and ${i} share a bucket of local depth ${depthOf[id]}`);
    }
    refs[id]++;
  }
  for (let id = 0; id < slots; id++) {
    if (first[id] >= 0 && refs[id] !== pow2(md.globalDepth - depthOf[id])) {
      const where = `${pageFileName(pages.fileIdOfBucket(id))}@${pages.offsetOfBucket(id)}`;
      throw new PmEHashCorruptError(CATALOG_FILE,
        `bucket ${where} of local depth ${depthOf[id]} is reached from ${refs[id]} entries, expected ${pow2(md.globalDepth - depthOf[id])}`);
    }
  }

  // 7. Page bitmaps := the slots the catalog reaches (a crash may have left a slot marked used
  //    that nothing reaches, or freed but not yet cleared); the free list is every other slot.
  const freeList = new FreeList();
  let repairedBits = 0;
  for (let id = 0; id < slots; id++) {
    const fileId = pages.fileIdOfBucket(id);
    const slot = id % md.bucketsPerPage;
    const used = first[id] >= 0;
    if (pages.isUsed(fileId, slot) !== used) {
      pages.setUsed(fileId, slot, used);
      repairedBits++;
    }
    if (!used) freeList.put(id);
  }
  if (repairedBits > 0) repairs.push(`repaired ${repairedBits} page bitmap bit(s)`);

  // 8. Halve the catalog while no bucket has local depth G (a crash can come between a doubling
  //    and the split it was made for).
  let globalDepth = md.globalDepth;
  while (globalDepth > 0 && bucketsAtDepth[globalDepth] === 0) {
    globalDepth--;
    meta.commit(md.maxFileId, globalDepth);
    repairs.push(`halved the catalog to depth ${globalDepth}`);
  }

  // 9. Remove the page file of an allocation the crash interrupted, and a catalog half left by
  //    an interrupted halving.
  if (contents.pageIds.includes(md.maxFileId)) {
    fs.rmSync(filePath(dir, pageFileName(md.maxFileId)));
    repairs.push(`removed unused page file ${md.maxFileId}`);
  }

  return {
    dir, meta, catalog, pages, freeList, maxFileId: md.maxFileId, globalDepth,
    keys, bucketsAtDepth, repairs,
  };
}

function checkFiles(dir: string, md: EhashMetadata, contents: FolderContents): void {
  if (!contents.hasCatalog) throw new PmEHashCorruptError(CATALOG_FILE, 'missing');
  const catalogBytes = fs.statSync(filePath(dir, CATALOG_FILE)).size;
  const live = md.catalogSize * CATALOG_ENTRY_SIZE;
  if (catalogBytes !== live && catalogBytes !== 2 * live) {
    throw new PmEHashCorruptError(CATALOG_FILE,
      `size is ${catalogBytes} bytes, expected ${live} (2^${md.globalDepth} entries of ${CATALOG_ENTRY_SIZE} bytes)`);
  }
  const present = new Set(contents.pageIds);
  for (const id of contents.pageIds) {
    if (id > md.maxFileId) {
      throw new PmEHashCorruptError(pageFileName(id), `unexpected page file: metadata says the last page is ${md.maxFileId - 1}`);
    }
  }
  const size = pageFileSize(md.bucketsPerPage);
  for (let id = 1; id < md.maxFileId; id++) {
    if (!present.has(id)) throw new PmEHashCorruptError(pageFileName(id), `page file missing (metadata maxFileId ${md.maxFileId})`);
    const actual = fs.statSync(filePath(dir, pageFileName(id))).size;
    if (actual !== size) throw new PmEHashCorruptError(pageFileName(id), `size is ${actual} bytes, expected ${size}`);
  }
}

function logOpName(op: LogOp): string {
  return ['none', 'update', 'split', 'merge', 'metadata change'][op] ?? `op ${op}`;
}

function checkLog(log: LogRecord, md: EhashMetadata, pages: PageTable): void {
  const validAddress = (fileId: number, offset: number): boolean => pages.isBucketAddress(fileId, offset);
  const [a0, a1, a2, a3, depth, pattern] = log.args;
  const bad = (problem: string): never => {
    throw new PmEHashCorruptError(METADATA_FILE, `log record (${logOpName(log.op)}): ${problem}`);
  };
  switch (log.op) {
    case LogOp.Update:
      if (!validAddress(a0, a1) || a2 >= BUCKET_KV_SLOTS) bad(`kv slot ${a2} of bucket ${a0}@${a1} out of range`);
      break;
    case LogOp.Split:
    case LogOp.Merge:
      if (!validAddress(a0, a1) || !validAddress(a2, a3)) bad('bucket address out of range');
      if (depth > md.globalDepth || pattern >= pow2(depth)) bad(`depth ${depth} / pattern ${pattern} out of range`);
      if (log.op === LogOp.Merge && depth === 0) bad('merge at depth 0');
      break;
    case LogOp.Metadata:
      break;
    default:
      bad(`unknown op ${log.op}`);
  }
}

/** Redoes a logged operation from its record (idempotent), then clears the log. */
function redo(log: LogRecord, md: EhashMetadata, meta: MetadataFile, catalog: Catalog, pages: PageTable): void {
  const [a0, a1, a2, a3, depth, pattern] = log.args;
  switch (log.op) {
    case LogOp.Update: {
      const [fileId, offset, slot, valueLo, valueHi] = log.args;
      const w = pages.words[fileId];
      const b = offset >>> 2;
      w[b + VALUE + 2 * slot] = valueLo;
      w[b + VALUE + 2 * slot + 1] = valueHi;
      w[b + BITMAP] = (w[b + BITMAP] & USED) | bucketCheck(w, b);
      pages.persistRange(fileId, offset, BUCKET_SIZE);
      break;
    }
    case LogOp.Split: {
      // Publish the new bucket, then drop from the old one the keys that moved.
      catalog.redirect(md.catalogSize, depth + 1, pattern | pow2(depth), a2, a3);
      const w = pages.words[a0];
      const b = a1 >>> 2;
      let bitmap = w[b + BITMAP] & USED;
      for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
        if ((bitmap & (1 << j)) === 0) continue;
        if ((hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]) >>> depth) & 1) bitmap &= ~(1 << j);
      }
      w[b + BITMAP] = bitmap;
      w[b + BITMAP] = bitmap | bucketCheck(w, b);
      w[b + DEPTH] = depth + 1;
      pages.persistRange(a0, a1, BUCKET_SIZE);
      break;
    }
    case LogOp.Merge: {
      catalog.redirect(md.catalogSize, depth, pattern, a2, a3);
      pages.words[a2][(a3 >>> 2) + DEPTH] = depth - 1;
      pages.persistRange(a2, a3, BUCKET_SIZE);
      break;
    }
    case LogOp.Metadata:
      break; // parseMetadata already took maxFileId and globalDepth from the record
  }
  meta.commit(md.maxFileId, md.globalDepth);
}

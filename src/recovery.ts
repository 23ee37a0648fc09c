// Recovery of an existing store: the numbered steps of FORMAT.md, "Recovery (on open)", each
// marked below by its number. Steps 1-4 only read and validate; the later ones are idempotent,
// so a crash inside recovery is recovered by the next open.

import {
  BUCKET_KV_SLOTS,
  BUCKET_SIZE,
  CATALOG_ENTRY_SIZE,
  FORMAT_VERSION,
  LogOp,
  MAX_GLOBAL_DEPTH,
  METADATA_FILE_SIZE,
  SEEDED_FORMAT_VERSION,
  V3_FORMAT_VERSION,
  WORD,
} from '../include-types/layout';
import type { EhashMetadata } from '../include-types/store';
import { pow2, popcount } from './bits';
import {
  BITMAP,
  bucketCheck,
  bucketSeed,
  checksumHolds,
  DEPTH,
  KEY_HI,
  KEY_LO,
  legacyChecksumHolds,
  USED,
  VALUE,
} from './bucket';
import { type PendingBatch, readBatchRecord } from './batch-record';
import { Catalog } from './catalog';
import { DataPages, pageFileSize } from './data-page';
import { PmEHashCorruptError } from './errors';
import { CATALOG_FILE, filePath, METADATA_FILE, pageFileName } from './files';
import { hashKey } from './hash';
import { MetadataFile, parseMetadata, type LogRecord } from './metadata';
import type { FolderContents } from './folder';
import type { StoreFiles } from './store-files';
import { SharedControl } from './shared-control';
import type { StoreState } from './store-state';
import { halveUnusedLevels, shrinkCatalog } from './structure';

export function recoverStore(
  dir: string,
  files: StoreFiles,
  contents: FolderContents,
): { state: StoreState; batches: PendingBatch[] } {
  // Step 1: the metadata.
  const metaBytes = files.read(filePath(dir, METADATA_FILE));
  const header = parseMetadata(metaBytes, dir);

  // Step 2: the files present, and the committed batch records, which the caller applies again
  // once the store is recovered (step 11).
  checkFiles(files, dir, header, contents);
  const batches: PendingBatch[] = [];
  for (const slot of contents.batchSlots) {
    const effects = readBatchRecord(files, dir, slot);
    if (effects !== undefined) batches.push({ slot, effects });
  }

  // Step 3: map every file.
  const meta = new MetadataFile(files.map(filePath(dir, METADATA_FILE)), files);
  const catalog = Catalog.open(dir, files);
  const pages = new DataPages(dir, header.bucketsPerPage, files);
  for (let id = 1; id < header.maxFileId; id++) pages.mapPage(id);

  // Step 4: addresses in the catalog and the log.
  for (let i = 0; i < header.catalogSize; i++) {
    if (!pages.isBucketAddress(catalog.fileId(i), catalog.offset(i))) {
      throw new PmEHashCorruptError(
        CATALOG_FILE,
        `entry ${i} points outside the pages: fileId ${catalog.fileId(i)} offset ${catalog.offset(i)}`,
        { dir },
      );
    }
  }
  const logs = meta.pendingLogs();
  for (const log of logs) checkLog(log, header, pages, dir);

  // Step 5: redo the logged operations (one per thread slot at most; each touched buckets no
  // other held), then make the metadata block whole and clear every record.
  const repairs: string[] = [];
  for (const log of logs) {
    redo(log, header, catalog, pages);
    repairs.push(`redid an interrupted ${logOpName(log.op)}${log.slot > 0 ? ` of thread slot ${log.slot}` : ''}`);
  }
  if (logs.length > 0) {
    meta.commit(header.maxFileId, header.globalDepth);
    for (const log of logs) if (log.slot !== meta.slot) meta.forSlot(meta.buffer, log.slot).endLog();
  }

  // Step 6: the structure, in two passes. The first reads only the catalog and notes, for each
  // bucket slot, the entries that lead to it (reachedBy). The second reads the buckets reached,
  // in the order of the files. Read at its first entry instead, in catalog order, each bucket
  // cost a random access into the pages: this step took 110-150 ms of a 220w store's reopen,
  // and takes about 60 now (reopen 0.139-0.161 s -> 0.085-0.104 s, 7 alternating opens).
  // A bucket of depth d whose entries all share their low d bits has at most 2^(G-d) of them;
  // so when those shares add up to the 2^G entries, every bucket has exactly its share, and
  // no count per bucket is kept (countsOff finds the bucket that is off when they do not).
  const slots = pages.pageCount * header.bucketsPerPage;
  const reach = reachedBy(catalog, pages, header.catalogSize, slots);
  const bucketsAtDepth = new Int32Array(MAX_GLOBAL_DEPTH + 2);
  const legacy = meta.version < SEEDED_FORMAT_VERSION;
  const unseeded: number[] = []; // buckets of a store before version 5: reseeded in step 10
  let keys = 0;
  let shares = 0;
  for (let id = 0; id < slots; id++) {
    const r = REACH_FIELDS * id;
    const first = reach[r + FIRST_PLUS_1] - 1;
    if (first < 0) continue;
    const fileId = pages.fileIdOfBucket(id);
    const offset = pages.offsetOfBucket(id);
    const w = pages.words[fileId];
    const b = offset >>> 2;
    const depth = w[b + DEPTH];
    if (depth > header.globalDepth) {
      throw new PmEHashCorruptError(
        pageFileName(fileId),
        `bucket at offset ${offset} has local depth ${depth} (global depth ${header.globalDepth})`,
        { dir },
      );
    }
    if (!checksumHolds(w, b, fileId, offset)) {
      // A store before version 5 (or one being upgraded) may hold buckets without the seed.
      if (legacy && legacyChecksumHolds(w, b)) unseeded.push(id);
      else
        throw new PmEHashCorruptError(
          pageFileName(fileId),
          `bucket at offset ${offset}: checksum of its kv slots does not match`,
          { dir },
        );
    }
    if ((reach[r + SPREAD] & (pow2(depth) - 1)) !== 0) {
      const other = entryOfOtherPattern(catalog, header.catalogSize, fileId, offset, first, depth);
      throw new PmEHashCorruptError(
        CATALOG_FILE,
        `entries ${first} and ${other} share a bucket of local depth ${depth}`,
        { dir },
      );
    }
    shares += pow2(header.globalDepth - depth);
    bucketsAtDepth[depth]++;
    keys += popcount(w[b + BITMAP] & USED);
  }
  if (shares !== header.catalogSize) {
    const { id, refs, depth } = countsOff(catalog, pages, header, reach, slots);
    throw new PmEHashCorruptError(
      CATALOG_FILE,
      `bucket ${pageFileName(pages.fileIdOfBucket(id))}@${pages.offsetOfBucket(id)} of local depth ${depth} is reached from ${refs} entries, expected ${pow2(header.globalDepth - depth)}`,
      { dir },
    );
  }

  // Step 7: page bitmaps.
  let repairedBits = 0;
  for (let id = 0; id < slots; id++) {
    const fileId = pages.fileIdOfBucket(id);
    const slot = id % header.bucketsPerPage;
    const used = reach[REACH_FIELDS * id + FIRST_PLUS_1] > 0;
    if (pages.isUsed(fileId, slot) !== used) {
      pages.setUsed(fileId, slot, used);
      repairedBits++;
    }
  }
  if (repairedBits > 0) repairs.push(`repaired ${repairedBits} page bitmap bit(s)`);

  const ctl = SharedControl.create(false);
  ctl.bucketsAtDepth.set(bucketsAtDepth);
  ctl.keyCounter(0)[0] = keys;
  const s: StoreState = {
    dir,
    files,
    meta,
    catalog,
    pages,
    maxFileId: header.maxFileId,
    globalDepth: header.globalDepth,
    bucketsAtDepth: ctl.bucketsAtDepth,
    repairs,
    ctl,
    nextPage: 0,
  };

  // Step 8: halve the catalog while no bucket has depth G.
  const levels = halveUnusedLevels(s);
  if (levels > 0) repairs.push(`halved the catalog ${levels} level(s) to depth ${s.globalDepth}`);

  // Step 9: trim the catalog file, remove an unfinished page file.
  if (catalog.capacity > pow2(s.globalDepth)) {
    shrinkCatalog(s, pow2(s.globalDepth));
    repairs.push(`trimmed ${CATALOG_FILE} to its 2^${s.globalDepth} live entries`);
  }
  if (contents.pageIds.includes(header.maxFileId)) {
    files.remove(filePath(dir, pageFileName(header.maxFileId)));
    repairs.push(`removed unused page file ${header.maxFileId}`);
  }

  // Step 10: a store of an earlier format version becomes the current one.
  const version = meta.version;
  if (version !== FORMAT_VERSION) {
    for (const id of unseeded) {
      const fileId = pages.fileIdOfBucket(id);
      const offset = pages.offsetOfBucket(id);
      const w = pages.words[fileId];
      w[(offset >>> 2) + BITMAP] ^= bucketSeed(fileId, offset, w[(offset >>> 2) + DEPTH]);
      pages.persistRange(fileId, offset, WORD);
    }
    if (version === V3_FORMAT_VERSION) {
      const grown = files.resize(filePath(dir, METADATA_FILE), METADATA_FILE_SIZE);
      files.release(meta.buffer);
      s.meta = new MetadataFile(grown, files);
    }
    s.meta.upgradeVersion();
    repairs.push(`upgraded from format version ${version} to ${FORMAT_VERSION}`);
  }
  return { state: s, batches };
}

function checkFiles(files: StoreFiles, dir: string, header: EhashMetadata, contents: FolderContents): void {
  if (!contents.hasCatalog) throw new PmEHashCorruptError(CATALOG_FILE, 'missing', { dir });
  const catalogBytes = files.size(filePath(dir, CATALOG_FILE));
  // 2^k entries for some k >= G: a crash between a doubling's growth and its commit leaves
  // 2^(G+1), and a store shared by threads does not shrink the file while they map it.
  const live = header.catalogSize * CATALOG_ENTRY_SIZE;
  const entries = catalogBytes / CATALOG_ENTRY_SIZE;
  const powerOfTwo = Number.isInteger(entries) && entries > 0 && (entries & (entries - 1)) === 0;
  if (catalogBytes < live || !powerOfTwo || entries > 2 * pow2(MAX_GLOBAL_DEPTH)) {
    throw new PmEHashCorruptError(
      CATALOG_FILE,
      `size is ${catalogBytes} bytes, expected ${live} (2^${header.globalDepth} entries of ${CATALOG_ENTRY_SIZE} bytes)`,
      { dir },
    );
  }
  const present = new Set(contents.pageIds);
  for (const id of contents.pageIds) {
    if (id > header.maxFileId) {
      throw new PmEHashCorruptError(
        pageFileName(id),
        `unexpected page file: metadata says the last page is ${header.maxFileId - 1}`,
        { dir },
      );
    }
  }
  const size = pageFileSize(header.bucketsPerPage);
  for (let id = 1; id < header.maxFileId; id++) {
    const name = pageFileName(id);
    if (!present.has(id)) {
      throw new PmEHashCorruptError(name, `page file missing (metadata maxFileId ${header.maxFileId})`, { dir });
    }
    const actual = files.size(filePath(dir, name));
    if (actual !== size) throw new PmEHashCorruptError(name, `size is ${actual} bytes, expected ${size}`, { dir });
  }
}

function logOpName(op: LogOp): string {
  return ['none', 'update', 'split', 'merge', 'metadata change'][op] ?? `op ${op}`;
}

/** The arguments of a Split or Merge record: two bucket addresses, a depth and a pattern. */
function structureArgs(args: number[]) {
  const [fromFile, fromOffset, toFile, toOffset, depth, pattern] = args;
  return { fromFile, fromOffset, toFile, toOffset, depth, pattern };
}

function checkLog(log: LogRecord, header: EhashMetadata, pages: DataPages, dir: string): void {
  const bad = (problem: string): never => {
    throw new PmEHashCorruptError(METADATA_FILE, `log record (${logOpName(log.op)}): ${problem}`, { dir });
  };
  switch (log.op) {
    case LogOp.Update: {
      const [fileId, offset, slot] = log.args;
      if (!pages.isBucketAddress(fileId, offset) || slot >= BUCKET_KV_SLOTS)
        bad(`kv slot ${slot} of bucket ${fileId}@${offset} out of range`);
      break;
    }
    case LogOp.Split:
    case LogOp.Merge: {
      const { fromFile, fromOffset, toFile, toOffset, depth, pattern } = structureArgs(log.args);
      if (!pages.isBucketAddress(fromFile, fromOffset) || !pages.isBucketAddress(toFile, toOffset))
        bad('bucket address out of range');
      if (depth > header.globalDepth || pattern >= pow2(depth)) bad(`depth ${depth} / pattern ${pattern} out of range`);
      if (log.op === LogOp.Merge && depth === 0) bad('merge at depth 0');
      break;
    }
    case LogOp.Metadata:
      break;
    default:
      bad(`unknown op ${log.op}`);
  }
}

/** Step 5: redoes a logged operation from its record (idempotent). */
function redo(log: LogRecord, header: EhashMetadata, catalog: Catalog, pages: DataPages): void {
  switch (log.op) {
    case LogOp.Update: {
      // FORMAT.md, update step 2.
      const [fileId, offset, slot, valueLo, valueHi] = log.args;
      const w = pages.words[fileId];
      const b = offset >>> 2;
      w[b + VALUE + 2 * slot] = valueLo;
      w[b + VALUE + 2 * slot + 1] = valueHi;
      w[b + BITMAP] = (w[b + BITMAP] & USED) | bucketCheck(w, b, fileId, offset);
      pages.persistRange(fileId, offset, BUCKET_SIZE);
      break;
    }
    case LogOp.Split: {
      // FORMAT.md, split steps 5-6: old bucket "from", new bucket "to".
      const { fromFile, fromOffset, toFile, toOffset, depth, pattern } = structureArgs(log.args);
      catalog.redirectFrom(
        header.catalogSize,
        depth + 1,
        pattern | pow2(depth),
        fromFile,
        fromOffset,
        toFile,
        toOffset,
      );
      const w = pages.words[fromFile];
      const b = fromOffset >>> 2;
      let bitmap = w[b + BITMAP] & USED;
      for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
        if ((bitmap & (1 << j)) === 0) continue;
        if ((hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]) >>> depth) & 1) bitmap &= ~(1 << j);
      }
      w[b + BITMAP] = bitmap;
      w[b + DEPTH] = depth + 1;
      w[b + BITMAP] = bitmap | bucketCheck(w, b, fromFile, fromOffset);
      pages.persistRange(fromFile, fromOffset, BUCKET_SIZE);
      break;
    }
    case LogOp.Merge: {
      // FORMAT.md, merge steps 2-3: emptied bucket "from", survivor "to".
      const { fromFile, fromOffset, toFile, toOffset, depth, pattern } = structureArgs(log.args);
      catalog.redirectFrom(header.catalogSize, depth, pattern, fromFile, fromOffset, toFile, toOffset);
      const w = pages.words[toFile];
      const b = toOffset >>> 2;
      w[b + DEPTH] = depth - 1;
      w[b + BITMAP] = (w[b + BITMAP] & USED) | bucketCheck(w, b, toFile, toOffset);
      pages.persistRange(toFile, toOffset, BUCKET_SIZE);
      break;
    }
    case LogOp.Metadata:
      break; // parseMetadata already took maxFileId and globalDepth from the record
  }
}

/**
 * Fields of reachedBy's answer for each bucket slot: the first entry that leads to it, plus 1
 * (0: none does), and the OR of (entry XOR first) over the entries that do, whose low d bits
 * are 0 exactly when they all have the first one's low d bits.
 */
const REACH_FIELDS = 2;
const FIRST_PLUS_1 = 0;
const SPREAD = 1;

/** Step 6's first pass: for each bucket slot, the entries of the catalog's `size` that lead to it (REACH_FIELDS). */
function reachedBy(catalog: Catalog, pages: DataPages, size: number, slots: number): Int32Array {
  const reach = new Int32Array(REACH_FIELDS * slots);
  const cw = catalog.words;
  for (let i = 0; i < size; i++) {
    const r = REACH_FIELDS * pages.bucketId(cw[2 * i], cw[2 * i + 1]);
    if (reach[r + FIRST_PLUS_1] === 0) reach[r + FIRST_PLUS_1] = i + 1;
    reach[r + SPREAD] |= (reach[r + FIRST_PLUS_1] - 1) ^ i;
  }
  return reach;
}

/** When the shares do not add up: the first bucket (in file order) reached from other than 2^(G-d) entries. */
function countsOff(
  catalog: Catalog,
  pages: DataPages,
  header: EhashMetadata,
  reach: Int32Array,
  slots: number,
): { id: number; refs: number; depth: number } {
  const refs = new Int32Array(slots);
  for (let i = 0; i < header.catalogSize; i++) refs[pages.bucketId(catalog.fileId(i), catalog.offset(i))]++;
  for (let id = 0; id < slots; id++) {
    if (reach[REACH_FIELDS * id + FIRST_PLUS_1] === 0) continue;
    const depth = pages.words[pages.fileIdOfBucket(id)][(pages.offsetOfBucket(id) >>> 2) + DEPTH];
    if (refs[id] !== pow2(header.globalDepth - depth)) return { id, refs: refs[id], depth };
  }
  throw new Error('countsOff: every bucket has its share'); // unreachable when the shares are off
}

/** An entry that leads to bucket (fileId, offset) and differs from entry `first` in its low `depth` bits. */
function entryOfOtherPattern(
  catalog: Catalog,
  size: number,
  fileId: number,
  offset: number,
  first: number,
  depth: number,
): number {
  for (let i = 0; i < size; i++) {
    if (catalog.fileId(i) === fileId && catalog.offset(i) === offset && ((first ^ i) & (pow2(depth) - 1)) !== 0)
      return i;
  }
  return -1;
}

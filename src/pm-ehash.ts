// PmEHash: the persistent extendible hash table's public face. It opens (creating or recovering)
// and closes a store, and offers two APIs over the same operations: the course's (insert, update,
// remove, search returning 0 / -1) and one in the style of Map and lmdb-js (get, set, has, delete,
// iterators, batch). Every public method validates its arguments, then calls the word-level
// operations of word-store.ts (keys and values as uint32 halves).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import type { BatchOperation, Kv, SearchResult, Uint64 } from '../include-types/kv';
import { BatchOp, BUCKET_KV_SLOTS, DEFAULT_BUCKETS_PER_PAGE, MAX_BUCKETS_PER_PAGE } from '../include-types/layout';
import { BATCH_ENTRY_WORDS, BatchRecord, type BatchEffects, type PendingBatch } from './batch-record';
import type { Durability, PmEHashOptions, PmEHashStats } from '../include-types/store';
import { pow2 } from './bits';
import { checkStore } from './check';
import { PairCursor } from './cursor';
import { ioError, PmEHashCorruptError, PmEHashError, PmEHashVersionError } from './errors';
import {
  batchFileName,
  defaultFolders,
  filePath,
  isStoreFileName,
  METADATA_FILE,
  removeStoreFiles,
  snapshotFileName,
  segmentFileName,
} from './files';
import { refuseLostMetadata, scanFolder } from './folder';
import { acquireLock, lockToken, releaseLock, type StoreLock } from './lock';
import { openStore } from './open-store';
import { MappedFiles } from './mapped-files';
import type { StoreFiles } from './store-files';
import { openBackend, type Backend } from './backend';
import { WrittenFiles } from './written-files';
import type { StoreState } from './store-state';
import { fromHalves, halves, toHalves } from './uint64';
import { PREFETCH_MAX, WordStore } from './word-store';
import { attachState, checkHandle } from './attach';
import { MAX_THREADS, type ShareHandle } from './shared-control';
import { shrinkCatalog } from './structure';
import { currentBootId, type LogFolder } from './log-folder';
import { Checkpointer } from './checkpoint';
import {
  closedCleanly,
  planLogOpen,
  readLogContents,
  removeLeftovers,
  removeLogFiles,
  writeLogState,
  type LogOpenPlan,
} from './log-store';
import { DEFAULT_COMMIT_INTERVAL, OpLog } from './op-log';
import { LOG_STATE_CLEAN, LOG_STATE_IMAGE_VALID } from '../include-types/layout';

/** Durability 'log': the log folder's name inside the store folder, unless options.logDir says otherwise. */
const DEFAULT_LOG_FOLDER = 'log';

/** The segment the log of a store found in this state goes on from (before its first switch). */
function lastGen(folder: LogFolder): number {
  return Math.max(folder.snapshot, ...folder.segments, 0);
}

function checkOptions(options: PmEHashOptions): {
  durability: Durability;
  bucketsPerPage: number;
  commitInterval: number;
} {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const durability = options.durability ?? 'process';
  if (durability !== 'process' && durability !== 'sync' && durability !== 'log') {
    throw new TypeError(`options.durability must be 'process', 'sync' or 'log', got ${String(durability)}`);
  }
  const commitInterval = options.commitInterval ?? DEFAULT_COMMIT_INTERVAL;
  if (typeof commitInterval !== 'number' || !(commitInterval > 0) || commitInterval > 60_000) {
    throw new RangeError('options.commitInterval must be a number of milliseconds in (0, 60000]');
  }
  if (options.logDir !== undefined && typeof options.logDir !== 'string')
    throw new TypeError('options.logDir must be a string');
  const bucketsPerPage = options.bucketsPerPage ?? DEFAULT_BUCKETS_PER_PAGE;
  if (!Number.isInteger(bucketsPerPage) || bucketsPerPage < 1 || bucketsPerPage > MAX_BUCKETS_PER_PAGE) {
    throw new RangeError(`options.bucketsPerPage must be an integer in [1, ${MAX_BUCKETS_PER_PAGE}]`);
  }
  if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError('options.dir must be a string');
  return { durability, bucketsPerPage, commitInterval };
}

export class PmEHash {
  /** The store folder (absolute). */
  readonly dir: string;
  readonly durability: Durability;
  /** How the files are reached: 'mmap' (mapped with mmap-io) or 'file' (written through; src/backend.ts). */
  readonly backend: Backend;
  /** What recovery repaired when this store was opened (empty after a clean shutdown). */
  readonly repairs: readonly string[];
  /**
   * The word-level operations, unvalidated: for the YCSB runner and the benchmarks.
   * @internal
   */
  words: WordStore;
  /** This open's lock entry, given back by close(); undefined in a worker that attached. */
  private readonly lock: StoreLock | undefined;
  /** This thread's log slot in a shared store (0: the owner). */
  private slot = 0;
  private readonly files: StoreFiles;
  /** Scratch for values read back as halves. */
  private readonly valueHalves = new Uint32Array(2);
  /** Scratch for the four halves of a validated pair. */
  private readonly pairHalves = new Uint32Array(4);
  /** This thread slot's batch record, which makes batch() and clear() atomic. */
  private readonly batchRecord: BatchRecord;
  /** Durability 'log': the log folder. */
  readonly logDir: string | undefined;
  /** Durability 'log': the log's writer. */
  private readonly log: OpLog | undefined;
  /** Durability 'log': checkpoints, at open and in the background. */
  private readonly checkpointer: Checkpointer | undefined;
  /** Durability 'log': the open finished, so close() may say the log holds the image (clean). */
  private logOpened = false;
  /** Durability 'log': this open's stamp, in the image's metadata and in the log state. */
  private logStamp = 0;

  /** Opens the store in `options.dir`, creating it or recovering it. */
  constructor(options?: PmEHashOptions);
  /**
   * For tests: the store on a double of the mapped-file layer (its folder must exist, for the lock).
   * @internal
   */
  constructor(options: PmEHashOptions, files?: StoreFiles, attach?: ShareHandle);
  constructor(options: PmEHashOptions = {}, files?: StoreFiles, attach?: ShareHandle) {
    const { durability, bucketsPerPage, commitInterval } = checkOptions(options);
    this.dir = path.resolve(options.dir ?? defaultFolders().store);
    this.durability = durability;
    if (files !== undefined) {
      this.files = files;
      this.backend = files instanceof WrittenFiles ? 'file' : 'mmap';
    } else if (attach !== undefined) {
      this.files = new MappedFiles(durability === 'sync'); // share() is refused on the file backend
      this.backend = 'mmap';
    } else {
      ({ files: this.files, backend: this.backend } = openBackend(durability === 'sync'));
    }
    if (durability === 'log') {
      this.logDir = path.resolve(this.dir, options.logDir ?? DEFAULT_LOG_FOLDER);
      if (this.logDir === this.dir) throw new RangeError('options.logDir must not be the store folder itself');
    }
    if (attach) {
      // A worker's handle on a store its owner shared: no lock, no recovery (attach()).
      const ctl = checkHandle(attach, this.dir);
      this.slot = ctl.takeSlot();
      if (this.slot < 0)
        throw new PmEHashError('PMEHASH_BUSY', `${this.dir}: already shared with ${MAX_THREADS} threads`);
      if (ctl.closing) {
        // The owner is closing (shared-control.ts, beginClose): too late to attach.
        ctl.releaseSlot(this.slot);
        throw new PmEHashError('PMEHASH_CLOSED', `store ${this.dir} is closed`);
      }
      this.lock = undefined;
      this.repairs = [];
      try {
        const state = attachState(this.dir, this.files, ctl, this.slot);
        this.words = new WordStore(state, this.dir, this.slot);
        this.batchRecord = new BatchRecord(this.dir, this.files, this.slot);
      } catch (err) {
        ctl.releaseSlot(this.slot);
        throw err instanceof PmEHashError ? err : ioError(`cannot attach to store ${this.dir}`, err);
      }
      return;
    }
    if (options.create === false && !this.files.exists(filePath(this.dir, METADATA_FILE))) {
      // A folder that lost its metadata but keeps store files is corrupt, not absent.
      if (fs.existsSync(this.dir)) refuseLostMetadata(scanFolder(this.files, this.dir), this.dir);
      throw new PmEHashError('PMEHASH_NOT_FOUND', `${this.dir}: no pmehash store here`);
    }
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw ioError(`cannot create store folder ${this.dir}`, err);
    }
    if (!fs.statSync(this.dir).isDirectory()) {
      throw new PmEHashError('PMEHASH_IO', `${this.dir}: not a folder`);
    }
    try {
      this.lock = acquireLock(this.dir);
    } catch (err) {
      if (err instanceof PmEHashError) throw err;
      throw ioError(`cannot lock store folder ${this.dir}`, err);
    }
    let state: StoreState;
    let batches: PendingBatch[];
    let plan: LogOpenPlan | undefined;
    try {
      if (this.logDir !== undefined) {
        plan = planLogOpen(this.files, this.logDir, this.files.exists(filePath(this.dir, METADATA_FILE)));
        if (plan.rebuild !== undefined) this.discardImage(plan);
      }
      try {
        ({ state, batches } = openStore(this.dir, this.files, bucketsPerPage));
      } catch (err) {
        // Durability 'log': an image that fails its checks is built again from the log. Not
        // one of another format version, nor a folder that holds something else (kept).
        if (plan === undefined || plan.folder.snapshot === 0 || plan.rebuild !== undefined) throw err;
        if (!(err instanceof PmEHashCorruptError) || err instanceof PmEHashVersionError) throw err;
        if (!isStoreFileName(err.file)) throw err; // something foreign in the folder: refused, kept
        plan.rebuild = `the image does not check (${err.message})`;
        this.files.releaseAll?.();
        this.discardImage(plan);
        ({ state, batches } = openStore(this.dir, this.files, bucketsPerPage));
      }
    } catch (err) {
      this.files.releaseAll?.(); // what recovery mapped before it failed
      try {
        releaseLock(this.lock);
      } catch {
        // the open's own error is the one to report
      }
      if (err instanceof PmEHashError) throw err;
      throw ioError(`cannot open store in ${this.dir}`, err);
    }
    this.repairs = state.repairs;
    state.ctl.setOwner(lockToken(this.lock));
    this.words = new WordStore(state, this.dir, 0);
    this.batchRecord = new BatchRecord(this.dir, this.files, 0);
    try {
      if (plan !== undefined && this.logDir !== undefined) {
        this.log = new OpLog(this.files, this.logDir, lastGen(plan.folder), commitInterval);
        this.checkpointer = new Checkpointer(this.files, this.logDir, this.words, this.log);
        this.words.log = this.log;
        this.openLog(plan, batches, state.repairs);
      } else {
        // Not a log open: a log that covered this image before no longer does (FORMAT.md, "Log").
        if (state.meta.logStamp !== 0) state.meta.setLogStamp(0);
        this.applyPendingBatches(batches, state.repairs);
      }
    } catch (err) {
      this.closeAfterFailure();
      throw err instanceof PmEHashError ? err : ioError(`cannot open store in ${this.dir}`, err);
    }
  }

  /**
   * Recovery, log step 3: the image cannot be used; it goes, and the next open of it makes a
   * new one. What rebuilds it is read and checked first: a log that does not check is refused
   * with nothing changed.
   */
  private discardImage(plan: LogOpenPlan): void {
    plan.contents ??= readLogContents(this.files, this.logDir!, plan.folder);
    scanFolder(this.files, this.dir); // refuses a folder holding something foreign, still unchanged
    writeLogState(this.files, this.logDir!, 0, plan.bootId, 0);
    removeStoreFiles(this.files, this.dir);
  }

  /**
   * Recovery, log steps 4-6 (FORMAT.md): brings the image and the log to agree. A rebuilt image
   * gets the snapshot's pairs and the segments' frames; an image that may hold operations the
   * log lost (a process that died, a first open) is covered by a checkpoint; after a clean close
   * the log just goes on in a new segment.
   */
  private openLog(plan: LogOpenPlan, batches: PendingBatch[], repairs: string[]): void {
    const log = this.log!;
    const logDir = this.logDir!;
    const { folder } = plan;
    if (plan.rebuild !== undefined) {
      const { pairs, frames, torn } = plan.contents!;
      log.muted = true;
      this.applyEntries(pairs, pairs.length / 4, 4);
      for (const effects of frames) this.applyEffects(effects);
      log.muted = false;
      repairs.push(
        `built the store again from ${snapshotFileName(folder.snapshot)} and ${folder.segments.length} log segment(s): ${plan.rebuild}`,
      );
      if (torn === undefined) {
        this.continueLog(folder); // the image is the snapshot and the log, to its last frame
      } else {
        // Segments after this one would make its torn end look like damage: a new snapshot
        // covers it instead (FORMAT.md, checkpoint at open, step 3), and the log goes on after.
        repairs.push(
          `log ${torn.segment}: replay stopped at offset ${torn.offset} (${torn.problem}), where the log was cut`,
        );
        this.checkpointer!.runNow();
      }
    } else if (folder.snapshot === 0 || !closedCleanly(plan, this.words.state.meta.logStamp) || batches.length > 0) {
      removeLeftovers(this.files, logDir, folder.leftovers);
      log.muted = true;
      this.applyPendingBatches(batches, repairs);
      log.muted = false;
      this.checkpointer!.runNow();
    } else {
      this.continueLog(folder);
    }
    log.checkpointer = this.checkpointer;
    // This open's stamp, in the image and then in the state (a crash between leaves them
    // unequal: the next open takes the checkpoint path).
    this.logStamp = randomInt(1, 2 ** 32);
    this.words.state.meta.setLogStamp(this.logStamp);
    writeLogState(this.files, logDir, LOG_STATE_IMAGE_VALID, plan.bootId, this.logStamp);
    this.logOpened = true;
  }

  /**
   * The log goes on in a new segment after the ones `folder` holds, which the image covers
   * exactly; the checkpoint trigger counts them.
   */
  private continueLog(folder: LogFolder): void {
    const log = this.log!;
    const logDir = this.logDir!;
    log.switchTo(log.gen + 1);
    removeLeftovers(this.files, logDir, folder.leftovers);
    const size = (name: string) => this.files.size(filePath(logDir, name));
    log.bytesSinceSnapshot = folder.segments.reduce((n, gen) => n + size(segmentFileName(gen)), 0);
    log.checkpointAfterSnapshot(size(snapshotFileName(folder.snapshot)));
  }

  /**
   * Recovery, step 11: each batch committed before a crash is applied again (over the part of
   * it that was), then retired. A crash meanwhile leaves it committed, for the next open.
   */
  private applyPendingBatches(batches: PendingBatch[], repairs: string[]): void {
    for (const { slot, effects } of batches) {
      const cleared = effects.clear ? ' after clearing' : '';
      const what = `the batch of ${effects.count} operation(s)${cleared} committed in ${batchFileName(slot)}`;
      let failure: PmEHashError | undefined;
      try {
        this.applyEffects(effects);
      } catch (err) {
        // As when the batch ran (FORMAT.md, batch): the part before the failure stays applied
        // and the record is retired; left committed, the store could never be opened again.
        if (!(err instanceof PmEHashError)) throw err;
        failure = err;
      }
      const record = slot === 0 ? this.batchRecord : new BatchRecord(this.dir, this.files, slot);
      record.retire();
      if (record !== this.batchRecord) record.release();
      repairs.push(
        failure === undefined
          ? `applied ${what}`
          : `applied part of ${what}, up to an operation that failed: ${failure.message}`,
      );
    }
  }

  // ---- the course's API: 0 / -1 ------------------------------------------------------------

  /** Inserts kv. Returns 0, or -1 when the key is already present (nothing changes). */
  insert(kv: Kv): number {
    const p = this.kvHalves(kv);
    return this.words.insertWords(p[0], p[1], p[2], p[3]);
  }

  /** Replaces the value of kv.key in place. Returns 0, or -1 when the key is absent. */
  update(kv: Kv): number {
    const p = this.kvHalves(kv);
    return this.words.updateWords(p[0], p[1], p[2], p[3]);
  }

  /** Removes key. Returns 0, or -1 when it is absent. */
  remove(key: Uint64): number {
    this.assertOpen();
    toHalves(key, 'key');
    return this.words.removeWords(halves[0], halves[1]);
  }

  /** Looks key up: 0 and `out.value` set, or -1 with `out` untouched. */
  search(key: Uint64, out: SearchResult): number {
    this.assertOpen();
    toHalves(key, 'key');
    if (out === null || typeof out !== 'object') throw new TypeError('out must be an object to receive the value');
    if (this.words.searchWords(halves[0], halves[1], this.valueHalves) !== 0) return -1;
    out.value = fromHalves(this.valueHalves[0], this.valueHalves[1]);
    return 0;
  }

  // ---- the Map-style API ---------------------------------------------------------------------

  /** The value of key, or undefined when it is absent. */
  get(key: Uint64): bigint | undefined {
    this.assertOpen();
    toHalves(key, 'key');
    if (this.words.searchWords(halves[0], halves[1], this.valueHalves) !== 0) return undefined;
    return fromHalves(this.valueHalves[0], this.valueHalves[1]);
  }

  /** Whether key is in the store. */
  has(key: Uint64): boolean {
    this.assertOpen();
    toHalves(key, 'key');
    return this.words.searchWords(halves[0], halves[1], this.valueHalves) === 0;
  }

  /** Inserts key with value, or replaces its value. Returns the store. */
  set(key: Uint64, value: Uint64): this {
    const p = this.pairHalves;
    this.assertOpen();
    toHalves(key, 'key');
    p[0] = halves[0];
    p[1] = halves[1];
    toHalves(value, 'value');
    this.put(p[0], p[1], halves[0], halves[1]);
    return this;
  }

  /** Removes key. Returns whether it was there. */
  delete(key: Uint64): boolean {
    return this.remove(key) === 0;
  }

  /** Number of pairs in the store. */
  get size(): number {
    this.assertOpen();
    return this.words.keys();
  }

  /**
   * Removes every pair and keeps the store open. Atomic across a crash, as a batch: after one,
   * the store holds every pair or none. Other threads may see some pairs gone meanwhile.
   */
  clear(): void {
    this.assertOpen();
    this.applyAtomically({ words: new Uint32Array(0), count: 0, clear: true });
  }

  /**
   * Every pair, lazily, without copying the store. If the store changes while the iterator
   * runs, a pair that stays in the store the whole time is met exactly once; pairs inserted or
   * removed meanwhile may be met or not; a value is the one its pair had when its bucket was
   * reached (src/cursor.ts).
   */
  *entries(): IterableIterator<[bigint, bigint]> {
    const cursor = new PairCursor();
    while (cursor.next(this.words.current())) {
      const n = cursor.batchSize;
      const batch = cursor.batch;
      for (let k = 0; k < n; k++) {
        yield [fromHalves(batch[4 * k], batch[4 * k + 1]), fromHalves(batch[4 * k + 2], batch[4 * k + 3])];
      }
    }
  }

  /** Every key, lazily (as entries()). */
  *keys(): IterableIterator<bigint> {
    for (const [key] of this.entries()) yield key;
  }

  /** Every value, lazily (as entries()). */
  *values(): IterableIterator<bigint> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[bigint, bigint]> {
    return this.entries();
  }

  /**
   * Applies many writes in one call: `put` inserts or replaces, `del` removes (absent keys are
   * no error). Every operation is validated before any is applied, so a bad one changes
   * nothing. Atomic across a crash (a process death; in 'sync' mode an OS crash or power loss
   * too): after one, every operation of the batch is there or none is, of any size. Not isolated:
   * other threads of a shared store may see it half applied, and a write they make meanwhile to
   * one of its keys may be overwritten when recovery applies the batch again (FORMAT.md, batch).
   * An error while applying (a full disk, PMEHASH_FULL) leaves the operations before the failing
   * one applied, and is thrown.
   */
  batch(operations: readonly BatchOperation[]): void {
    this.assertOpen();
    if (!Array.isArray(operations)) throw new TypeError('batch takes an array of operations');
    const n = operations.length;
    const words = new Uint32Array(BATCH_ENTRY_WORDS * n);
    for (let i = 0; i < n; i++) {
      const op = operations[i] as BatchOperation | null;
      if (op === null || typeof op !== 'object') throw new TypeError(`batch operation ${i} must be an object`);
      if (op.type !== 'put' && op.type !== 'del') {
        throw new TypeError(
          `batch operation ${i}: type must be 'put' or 'del', got ${String((op as { type: unknown }).type)}`,
        );
      }
      const e = BATCH_ENTRY_WORDS * i;
      toHalves(op.key, `batch operation ${i}: key`);
      words[e] = halves[0];
      words[e + 1] = halves[1];
      if (op.type === 'put') {
        toHalves(op.value, `batch operation ${i}: value`);
        words[e + 2] = halves[0];
        words[e + 3] = halves[1];
      }
      words[e + 4] = op.type === 'put' ? BatchOp.Put : BatchOp.Del;
    }
    if (n > 0) this.applyAtomically({ words, count: n, clear: false });
  }

  /**
   * FORMAT.md, batch: commits the effects to this slot's batch record (steps 1-2), applies them
   * (3-4), retires the record (5). A failure while applying retires it too: the record must not
   * be applied again by a later recovery, over what happens after it.
   */
  private applyAtomically(effects: BatchEffects): void {
    this.log?.beginGroup(effects.clear); // first: it may write the log, and fail with nothing done
    try {
      this.batchRecord.commit(effects);
    } catch (err) {
      this.log?.endGroup();
      throw err;
    }
    let failure: unknown;
    try {
      this.applyEffects(effects);
    } catch (err) {
      failure = err;
    } finally {
      this.log?.endGroup();
    }
    try {
      this.batchRecord.retire();
    } catch (err) {
      // The record may stay committed on the medium: a later recovery would apply it again
      // over whatever this handle wrote next, so the handle is closed first.
      this.closeAfterFailure();
      throw ioError(`cannot retire the batch record in ${this.dir} (the store handle was closed)`, failure ?? err);
    }
    if (failure !== undefined) throw failure;
    this.log?.commitIfDue();
  }

  /** Closes this handle after an error that leaves it unusable; the error to report is the caller's. */
  private closeAfterFailure(): void {
    try {
      this.close();
    } catch {
      // The caller's error is the one to report.
    }
  }

  /** Batch steps 3-4: every pair removed when the record says clear, then each effect in order. */
  private applyEffects(effects: BatchEffects): void {
    if (effects.clear) {
      // In the log, the clear is its frame's flag, not a remove per pair.
      const muted = this.log?.muted;
      if (this.log) this.log.muted = true;
      try {
        const cursor = new PairCursor();
        while (cursor.next(this.words.current())) {
          for (let k = 0; k < cursor.batchSize; k++)
            this.words.removeWords(cursor.batch[4 * k], cursor.batch[4 * k + 1]);
        }
      } finally {
        if (this.log) this.log.muted = muted!;
      }
    }
    this.applyEntries(effects.words, effects.count, BATCH_ENTRY_WORDS);
  }

  /**
   * Applies `count` entries of `stride` words each: key, value (halves), then, with a stride of
   * BATCH_ENTRY_WORDS, a BatchOp (a snapshot's pairs, of stride 4, are all puts). The buckets of
   * each PREFETCH_MAX keys are touched first, as the YCSB runner does, so that their cache misses
   * overlap.
   */
  private applyEntries(w: Uint32Array, count: number, stride: number): void {
    const lo = new Uint32Array(count);
    const hi = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      lo[i] = w[i * stride];
      hi[i] = w[i * stride + 1];
    }
    for (let from = 0; from < count; from += PREFETCH_MAX) {
      const to = Math.min(from + PREFETCH_MAX, count);
      this.words.prefetchWords(lo, hi, from, to);
      for (let i = from; i < to; i++) {
        const e = i * stride;
        if (stride < BATCH_ENTRY_WORDS || w[e + 4] === BatchOp.Put) this.put(w[e], w[e + 1], w[e + 2], w[e + 3]);
        else this.words.removeWords(w[e], w[e + 1]);
      }
    }
  }

  /** Closes the store: `using store = new PmEHash(...)` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Insert, or update when the key is there. */
  private put(kLo: number, kHi: number, vLo: number, vHi: number): void {
    if (this.words.insertWords(kLo, kHi, vLo, vHi) !== 0) this.words.updateWords(kLo, kHi, vLo, vHi);
  }

  // ---- worker threads ------------------------------------------------------------------------

  /**
   * Makes the store shareable with worker threads and returns what `postMessage` or
   * `workerData` carries to them: `PmEHash.attach(handle)` in a worker gives a PmEHash on the
   * same files. From then on every thread's operations synchronise through the handle's control
   * block (README, "Threads"); share() again returns the same handle. The owner's close() is
   * refused while workers are attached.
   */
  share(): ShareHandle {
    if (this.lock === undefined)
      throw new PmEHashError('PMEHASH_BUSY', 'only the thread that opened the store can share it');
    if (this.durability === 'log')
      throw new PmEHashError(
        'PMEHASH_UNSUPPORTED',
        "durability 'log' is for one thread: worker threads cannot share it yet",
      );
    if (this.backend === 'file')
      throw new PmEHashError(
        'PMEHASH_UNSUPPORTED',
        'worker threads need the mapped backend (mmap-io), which this process could not load (see stats().backend)',
      );
    const s = this.words.state;
    if (!s.ctl.threaded) this.words.share();
    return { kind: 'pmehash-share', dir: this.dir, durability: this.durability, control: s.ctl.buffer };
  }

  /** In a worker thread: the store another thread shared (`store.share()`). Close it when done. */
  static attach(handle: ShareHandle): PmEHash {
    if (
      handle === null ||
      typeof handle !== 'object' ||
      handle.kind !== 'pmehash-share' ||
      !(handle.control instanceof SharedArrayBuffer)
    ) {
      throw new TypeError('attach takes the handle returned by share()');
    }
    return new PmEHash({ dir: handle.dir, durability: handle.durability as Durability }, undefined, handle);
  }

  // ---- whole-store operations ---------------------------------------------------------

  stats(): PmEHashStats {
    const s = this.words.current();
    const keys = this.words.keys();
    let buckets = 0;
    for (let d = 0; d <= s.globalDepth; d++) buckets += s.bucketsAtDepth[d];
    return {
      backend: this.backend,
      globalDepth: s.globalDepth,
      catalogSize: pow2(s.globalDepth),
      buckets,
      pageFiles: s.maxFileId - 1,
      keys,
      loadFactor: keys / (buckets * BUCKET_KV_SLOTS),
    };
  }

  /**
   * Full consistency check; returns the problems found (empty when consistent). Of a shared
   * store, only while no thread is writing.
   */
  check(): string[] {
    return checkStore(this.words.current());
  }

  /** Releases the store. In 'sync' mode everything is written back first. */
  close(): void {
    if (this.words.isClosed) return;
    const s = this.words.state;
    const attached = s.ctl.threaded && this.lock !== undefined ? s.ctl.beginClose() : 0;
    if (attached > 0) {
      throw new PmEHashError(
        'PMEHASH_BUSY',
        `${this.dir}: ${attached} worker handle(s) still attached; close them first`,
      );
    }
    if (this.lock === undefined) {
      // A worker's handle: give back its mappings and its slot; the owner keeps the store open.
      s.pages.release();
      s.catalog.release();
      this.files.release(s.meta.buffer);
      this.words.detach();
      this.batchRecord.release();
      s.ctl.releaseSlot(this.slot);
      return;
    }
    let logFailure: unknown;
    if (this.log !== undefined) {
      // Durability 'log': everything logged is made durable, then the state says so (not after
      // an open that failed part-way, nor after a log that failed: the state must then send the
      // next open to recovery). A failure is thrown once the handle is closed all the same.
      try {
        if (this.logOpened) {
          this.log.commit();
          writeLogState(
            this.files,
            this.logDir!,
            LOG_STATE_IMAGE_VALID | LOG_STATE_CLEAN,
            currentBootId(),
            this.logStamp,
          );
        }
      } catch (err) {
        logFailure = err;
      }
      this.checkpointer?.abandon();
      this.log.close();
    }
    // The last thread of a shared store gives the catalog file back what it no longer uses.
    if (s.ctl.threaded) shrinkCatalog(s, pow2(s.ctl.globalDepth));
    if (this.durability === 'sync') {
      s.pages.flush();
      s.catalog.flush();
    }
    // Give back the mapped pages now, and drop every reference to the mappings: they are
    // unmapped only when garbage-collected.
    s.pages.release();
    s.catalog.release();
    this.files.release(s.meta.buffer);
    this.words.detach();
    this.batchRecord.release();
    s.ctl.markClosed();
    releaseLock(this.lock);
    if (logFailure !== undefined) throw logFailure;
  }

  /** Deletes every file of the store (the course's spelling); other files in the folder stay. */
  selfDestory(): void {
    this.assertOpen();
    if (this.lock === undefined)
      throw new PmEHashError('PMEHASH_BUSY', 'only the thread that opened the store can destroy it');
    this.close(); // also releases the lock
    if (this.logDir !== undefined) {
      try {
        removeLogFiles(this.files, this.logDir);
      } catch (err) {
        throw err instanceof PmEHashError ? err : ioError(`cannot remove the log in ${this.logDir}`, err);
      }
      try {
        fs.rmdirSync(this.logDir); // only when empty
      } catch {
        // Other files stay, and so does their folder.
      }
    }
    removeStoreFiles(this.files, this.dir);
  }

  /**
   * Returns once every operation that returned before it is durable: in durability 'log', the
   * log's last group is written and fdatasynced. In 'sync' every operation already is; in
   * 'process' an OS crash may lose recent operations whatever is called.
   */
  flush(): void {
    this.assertOpen();
    this.log?.flush();
  }

  /** Alias of selfDestory with the usual spelling. */
  selfDestroy(): void {
    this.selfDestory();
  }

  get isClosed(): boolean {
    return this.words.isClosed;
  }

  private assertOpen(): void {
    if (this.words.isClosed) throw this.words.closedError();
  }

  /** Validates a Kv of an open store and returns its four halves (in a reused array). */
  private kvHalves(kv: Kv): Uint32Array {
    this.assertOpen();
    if (kv === null || typeof kv !== 'object') throw new TypeError('kv must be an object { key, value }');
    const p = this.pairHalves;
    toHalves(kv.key, 'key');
    p[0] = halves[0];
    p[1] = halves[1];
    toHalves(kv.value, 'value');
    p[2] = halves[0];
    p[3] = halves[1];
    return p;
  }
}

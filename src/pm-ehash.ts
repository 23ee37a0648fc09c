// PmEHash: the persistent extendible hash table. Public methods validate their arguments and
// call the word-level operations (keys and values as two uint32 halves), which is also what the
// YCSB runner drives. Each operation follows the persist order of its FORMAT.md section; splits,
// merges and catalog resizing live in structure.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kv, SearchResult, Uint64 } from '../include-types/kv';
import {
  BUCKET_FULL_BITMAP,
  BUCKET_KV_SLOTS,
  BUCKET_SIZE,
  DEFAULT_BUCKETS_PER_PAGE,
  LogOp,
  MAX_BUCKETS_PER_PAGE,
  WORD,
} from '../include-types/layout';
import type { Durability, PmEHashOptions, PmEHashStats } from '../include-types/store';
import { firstFree, pow2 } from './bits';
import { BITMAP, DEPTH, findKey, KEY_HI, KEY_LO, slotCheck, USED, VALUE, writeSlot } from './bucket';
import { checkStore } from './check';
import { ioError, PmEHashError } from './errors';
import { filePath, METADATA_FILE, projectDir, removeStoreFiles } from './files';
import { hashKey } from './hash';
import { acquireLock, releaseLock, type StoreLock } from './lock';
import { openStore } from './open-store';
import { MappedFiles, type StoreFiles } from './mapped-files';
import type { StoreState } from './store-state';
import { mergeEmpty, split } from './structure';
import { fromHalves, halves, toHalves } from './uint64';

/** PMEHASH_DIR, else the project's data/ folder. */
function defaultDir(): string {
  return process.env.PMEHASH_DIR || path.join(projectDir(), 'data');
}

function checkOptions(options: PmEHashOptions): { durability: Durability; bucketsPerPage: number } {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const durability = options.durability ?? 'process';
  if (durability !== 'process' && durability !== 'sync') {
    throw new TypeError(`options.durability must be 'process' or 'sync', got ${String(durability)}`);
  }
  const bucketsPerPage = options.bucketsPerPage ?? DEFAULT_BUCKETS_PER_PAGE;
  if (!Number.isInteger(bucketsPerPage) || bucketsPerPage < 1 || bucketsPerPage > MAX_BUCKETS_PER_PAGE) {
    throw new RangeError(`options.bucketsPerPage must be an integer in [1, ${MAX_BUCKETS_PER_PAGE}]`);
  }
  if (options.dir !== undefined && typeof options.dir !== 'string') throw new TypeError('options.dir must be a string');
  return { durability, bucketsPerPage };
}

export class PmEHash {
  /** The store folder (absolute). */
  readonly dir: string;
  readonly durability: Durability;
  /** What recovery repaired when this store was opened (empty after a clean shutdown). */
  readonly repairs: readonly string[];
  private s: StoreState;
  private mask: number;
  /** Hot-path copies of s.catalog.words and s.pages.words (refreshed when the catalog is remapped). */
  private cat: Uint32Array;
  private pageWords: Uint32Array[];
  private closed = false;
  /** This open's lock entry, given back by close(). */
  private readonly lock: StoreLock;
  private readonly out = new Uint32Array(2);
  private readonly files: StoreFiles;

  /**
   * Opens the store in `options.dir`, creating it or recovering it. `files` is for tests only:
   * a double of the mapped-file layer (the store folder itself must exist, for its lock).
   * @internal
   */
  constructor(options: PmEHashOptions = {}, files?: StoreFiles) {
    const { durability, bucketsPerPage } = checkOptions(options);
    this.dir = path.resolve(options.dir ?? defaultDir());
    this.durability = durability;
    this.files = files ?? new MappedFiles(durability === 'sync');
    if (options.create === false && !this.files.exists(filePath(this.dir, METADATA_FILE))) {
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
    try {
      this.s = openStore(this.dir, this.files, bucketsPerPage);
    } catch (err) {
      try {
        releaseLock(this.lock);
      } catch {
        // the open's own error is the one to report
      }
      if (err instanceof PmEHashError) throw err;
      throw ioError(`cannot open store in ${this.dir}`, err);
    }
    this.repairs = this.s.repairs;
    this.mask = pow2(this.s.globalDepth) - 1;
    this.cat = this.s.catalog.words;
    this.pageWords = this.s.pages.words;
  }

  /** Re-reads what the hot path caches after the catalog may have doubled, halved or moved. */
  private refresh(): void {
    this.mask = pow2(this.s.globalDepth) - 1;
    this.cat = this.s.catalog.words;
  }

  // ---- public API: the course's 0 / -1 contract ------------------------------------------

  /** Inserts kv. Returns 0, or -1 when the key is already present (nothing changes). */
  insert(kv: Kv): number {
    this.assertOpen();
    const [kLo, kHi, vLo, vHi] = this.kvHalves(kv);
    return this.insertWords(kLo, kHi, vLo, vHi);
  }

  /** Replaces the value of kv.key in place. Returns 0, or -1 when the key is absent. */
  update(kv: Kv): number {
    this.assertOpen();
    const [kLo, kHi, vLo, vHi] = this.kvHalves(kv);
    return this.updateWords(kLo, kHi, vLo, vHi);
  }

  /** Removes key. Returns 0, or -1 when it is absent. */
  remove(key: Uint64): number {
    this.assertOpen();
    toHalves(key, 'key');
    return this.removeWords(halves[0], halves[1]);
  }

  /** Looks key up: 0 and `out.value` set, or -1 with `out` untouched. */
  search(key: Uint64, out: SearchResult): number {
    this.assertOpen();
    toHalves(key, 'key');
    if (out === null || typeof out !== 'object') throw new TypeError('out must be an object to receive the value');
    if (this.searchWords(halves[0], halves[1], this.out) !== 0) return -1;
    out.value = fromHalves(this.out[0], this.out[1]);
    return 0;
  }

  // ---- word-level operations (no validation, no allocation) ---------------------------
  // Each half is a 32-bit pattern, given as a uint32 or as the same bits in an int32 (x | 0):
  // both are stored alike. Callers on a hot path pass int32, which V8 keeps in a register
  // (a uint32 above 2^31 is a double). Halves read back (searchWords, forEachWords) are uint32.

  /** FORMAT.md, insert: steps 1 and 2 (the bitmap word is the commit point); a full bucket splits first. */
  insertWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) this.assertOpen();
    const h = hashKey(kLo, kHi);
    const cw = this.cat;
    const e = (h & this.mask) * 2;
    const fileId = cw[e];
    const offset = cw[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    if (findKey(w, b, kLo, kHi) >= 0) return -1;
    const word = w[b + BITMAP];
    if ((word & USED) === BUCKET_FULL_BITMAP) return this.splitAndInsert(h, kLo, kHi, vLo, vHi);
    const j = firstFree(word & USED);
    writeSlot(w, b, j, kLo, kHi, vLo, vHi);
    this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
    w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
    this.s.pages.persistRange(fileId, offset, WORD);
    this.s.keys++;
    return 0;
  }

  /**
   * The rare path of insertWords (about one insert in ten), kept out of its common path: splits
   * the key's full bucket until the key's bucket has a free slot (all keys may fall on one side
   * of a split), then inserts it again.
   */
  private splitAndInsert(h: number, kLo: number, kHi: number, vLo: number, vHi: number): number {
    for (;;) {
      const e = (h & this.mask) * 2;
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      if ((this.pageWords[fileId][(offset >>> 2) + BITMAP] & USED) !== BUCKET_FULL_BITMAP) break;
      split(this.s, h & this.mask, fileId, offset);
      this.refresh();
    }
    return this.insertWords(kLo, kHi, vLo, vHi);
  }

  /**
   * Touches the catalog entry and the probe line of the bucket of each key lo[i], hi[i] for i in
   * [from, to), so that operations on those keys that follow find them in the CPU cache. Loads
   * of different keys do not depend on each other, so their cache misses overlap instead of
   * coming one after another. Changes nothing; the return value only keeps the loads alive.
   */
  prefetchWords(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    if (this.closed) this.assertOpen();
    const cw = this.cat;
    const pages = this.pageWords;
    const mask = this.mask;
    let sink = 0;
    for (let i = from; i < to; i++) {
      const e = (hashKey(lo[i], hi[i]) & mask) * 2;
      sink ^= pages[cw[e]][cw[e + 1] >>> 2];
    }
    return sink;
  }

  /** Writes the value into out[0] (low half) and out[1] (high half). Returns 0 or -1. */
  searchWords(kLo: number, kHi: number, out: Uint32Array): number {
    if (this.closed) this.assertOpen();
    const cw = this.cat;
    const e = (hashKey(kLo, kHi) & this.mask) * 2;
    const w = this.pageWords[cw[e]];
    const b = cw[e + 1] >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    out[0] = w[b + VALUE + 2 * j];
    out[1] = w[b + VALUE + 2 * j + 1];
    return 0;
  }

  /** FORMAT.md, update: steps 1-3. */
  updateWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) this.assertOpen();
    const cw = this.cat;
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const fileId = cw[e];
    const offset = cw[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    const v = b + VALUE + 2 * j;
    const word = w[b + BITMAP] ^ slotCheck(h, j, w[v], w[v + 1]) ^ slotCheck(h, j, vLo, vHi);
    this.s.meta.beginLog(LogOp.Update, fileId, offset, j, vLo, vHi, 0);
    w[v] = vLo;
    w[v + 1] = vHi;
    w[b + BITMAP] = word;
    this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
    this.s.meta.endLog();
    return 0;
  }

  /** FORMAT.md, remove: step 1, then merge (step 2) when the bucket is empty. */
  removeWords(kLo: number, kHi: number): number {
    if (this.closed) this.assertOpen();
    const h = hashKey(kLo, kHi);
    const cw = this.cat;
    const e = (h & this.mask) * 2;
    const fileId = cw[e];
    const offset = cw[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    const word = (w[b + BITMAP] & ~(1 << j)) ^ slotCheck(h, j, w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]);
    w[b + BITMAP] = word;
    this.s.pages.persistRange(fileId, offset, WORD);
    this.s.keys--;
    if ((word & USED) === 0 && w[b + DEPTH] > 0) {
      mergeEmpty(this.s, h & this.mask);
      this.refresh();
    }
    return 0;
  }

  // ---- whole-store operations ---------------------------------------------------------

  stats(): PmEHashStats {
    this.assertOpen();
    const s = this.s;
    let buckets = 0;
    for (let d = 0; d <= s.globalDepth; d++) buckets += s.bucketsAtDepth[d];
    return {
      globalDepth: s.globalDepth,
      catalogSize: pow2(s.globalDepth),
      buckets,
      pageFiles: s.maxFileId - 1,
      keys: s.keys,
      loadFactor: s.keys / (buckets * BUCKET_KV_SLOTS),
    };
  }

  /** Full consistency check; returns the problems found (empty when consistent). */
  check(): string[] {
    this.assertOpen();
    return checkStore(this.s);
  }

  /** Calls fn(keyLo, keyHi, valueLo, valueHi) for every pair, bucket by bucket. */
  forEachWords(fn: (kLo: number, kHi: number, vLo: number, vHi: number) => void): void {
    this.assertOpen();
    const s = this.s;
    const size = pow2(s.globalDepth);
    for (let i = 0; i < size; i++) {
      const d = s.pages.words[s.catalog.fileId(i)][(s.catalog.offset(i) >>> 2) + DEPTH];
      if (i >= pow2(d)) continue; // visit each bucket once: from its lowest entry
      const w = s.pages.words[s.catalog.fileId(i)];
      const b = s.catalog.offset(i) >>> 2;
      const bitmap = w[b + BITMAP] & USED;
      for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
        if ((bitmap & (1 << j)) === 0) continue;
        fn(w[b + KEY_LO + j], w[b + KEY_HI + j], w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]);
      }
    }
  }

  /** Every pair as bigints (materializes the whole store: for tests and small stores). */
  entries(): Array<[bigint, bigint]> {
    const out: Array<[bigint, bigint]> = [];
    this.forEachWords((kLo, kHi, vLo, vHi) => out.push([fromHalves(kLo, kHi), fromHalves(vLo, vHi)]));
    return out;
  }

  /** Releases the store. In 'sync' mode everything is written back first. */
  close(): void {
    if (this.closed) return;
    if (this.durability === 'sync') {
      this.s.pages.flush();
      this.s.catalog.flush();
    }
    this.closed = true;
    // Give back the mapped pages now, and drop every reference to the mappings: they are
    // unmapped only when garbage-collected.
    this.s.pages.release();
    this.s.catalog.release();
    this.s = undefined as unknown as StoreState;
    this.cat = new Uint32Array(0);
    this.pageWords = [];
    releaseLock(this.lock);
  }

  /** Deletes every file of the store (the course's spelling); other files in the folder stay. */
  selfDestory(): void {
    this.assertOpen();
    this.close(); // also releases the lock
    removeStoreFiles(this.files, this.dir);
  }

  /** Alias of selfDestory with the usual spelling. */
  selfDestroy(): void {
    this.selfDestory();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new PmEHashError('PMEHASH_CLOSED', `store ${this.dir} is closed`);
  }

  private readonly kv4 = [0, 0, 0, 0];

  /** Validates a Kv and returns its four halves (in a reused array). */
  private kvHalves(kv: Kv): number[] {
    if (kv === null || typeof kv !== 'object') throw new TypeError('kv must be an object { key, value }');
    toHalves(kv.key, 'key');
    this.kv4[0] = halves[0];
    this.kv4[1] = halves[1];
    toHalves(kv.value, 'value');
    this.kv4[2] = halves[0];
    this.kv4[3] = halves[1];
    return this.kv4;
  }
}

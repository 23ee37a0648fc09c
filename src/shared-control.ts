// The control block that threads sharing a store synchronise through: one SharedArrayBuffer,
// made when the store is opened and handed by the owner's share() to every attached worker. It
// holds no data of the store (that is in the mapped files, which every thread maps itself): only
// locks, versions, and the few numbers every thread must agree on. FORMAT.md, "Threads", gives
// the protocol. Until share(), no other thread can reach the store: its locks are then no-ops
// (as SQLite's mutexes are in a single-threaded build), and the one code path of every
// operation runs without them.
//
//   bucket version-locks   one int32 per lock stripe (bucket id mod LOCK_STRIPES): even = free,
//                          odd = held; every release adds 2, so a reader that sees the same even
//                          value before and after its probe read a bucket nobody changed
//   structure lock         serialises bucket-slot allocation, page files, metadata commits,
//                          doubling and halving, and the bucketsAtDepth counts
//   catalog sections       the catalog's entries fall in SECTIONS classes by their low
//                          SECTION_BITS bits, and each class has a word that is a readers-writer
//                          lock and a seqlock in one int32: bits 0-7 count the threads
//                          redirecting its entries (splits, merges: shared), bit 8 is set during
//                          a doubling or halving (exclusive, every section), and the bits above
//                          are an epoch that each hold advances when it ends. A lookup that saw
//                          no holder, and the same word after its probe, read entries nobody was
//                          changing. A split of a bucket at depth 5 or more changes one
//                          section's word, so it sends only the lookups of that section's keys
//                          round again, not every thread's
//   catalog word           bit 8 set during a doubling or halving, and an epoch above it that
//                          each one advances: a thread that sees it change catches up with the
//                          new depth
//   globalDepth, maxFileId, bucketsAtDepth[], the keys counted by each thread slot, the
//   thread slots in use, the allocation cursor, the page file being made ahead of need
//
// A lock held by a thread that died mid-operation would stop the others forever; waits give up
// after SPIN_TIMEOUT_MS with PMEHASH_DEADLOCK instead.

import { LOG_SLOTS, MAX_GLOBAL_DEPTH } from '../include-types/layout';
import { PmEHashError } from './errors';

/** Threads a store can have at once (one log slot each): the owner and up to 63 workers. */
const MAX_THREADS = LOG_SLOTS;
const LOCK_STRIPES = 1 << 16;
const SPIN_TIMEOUT_MS = 2000;
/** Structure lock word values (lockStructure). */
const HELD = 1;
const HELD_WAITED = 2;
/** Reads of a held structure lock before a waiter sleeps: a few microseconds. */
const STRUCTURE_SPINS = 2000;
/** A sleeper on the structure lock also wakes this often, to notice a holder that died. */
const WAKE_CHECK_MS = 10;

// Word indices of the control block. Words written often by different threads sit on cache
// lines of their own (16 words apart).
const LINE = 16;
// The structure lock's line also holds the words only its holder writes, which change at
// every split: writing them costs nothing more than taking the lock did, and the line of the
// numbers every split and catch-up reads (GLOBAL_DEPTH's) stays unwritten between doublings and
// new page files.
const STRUCTURE_LOCK = 0;
const ALLOC_CURSOR = 1;
const NEXT_PAGE = 2; // the page file a thread is making ahead of need, or 0
/** Word index of the catalog word (hot paths read it from `words` directly). */
const CATALOG = LINE;
const SHARERS = 0xff; // section word: threads redirecting its entries
/** Catalog and section words: a doubling or halving under way. */
const EXCLUSIVE = 0x100;
/** Bits of a catalog or section word that say a redirect or catalog change is under way. */
const CATALOG_BUSY = SHARERS | EXCLUSIVE;
const EPOCH = 0x200; // catalog and section words: one end of a hold
/**
 * Catalog sections: entry i is in section i mod SECTIONS, a key of hash h in section h mod
 * SECTIONS, its entry's when the depth is SECTION_BITS or more (below that, every redirect that
 * may change its entry holds the key's section too: FORMAT.md, "Threads"). 64 lines of the
 * control block, so that two threads' splits seldom touch the same one. With one catalog word
 * for every redirect instead, each thread of a 2-thread 220w load caught up with the other's
 * splits about 170,000 times and retried 6,000-10,800 bucket locks; with sections, about 20
 * times (the doublings) and 700-800. On 2 cores the OPS stayed the same (9 interleaved rounds:
 * load 0.99x, 0.84-1.15; run 1.00x); the retries grow with the number of threads that split.
 */
const SECTION_BITS = 6;
const SECTIONS = 1 << SECTION_BITS;
const GLOBAL_DEPTH = 4 * LINE;
const MAX_FILE_ID = GLOBAL_DEPTH + 1;
const SLOTS_IN_USE = GLOBAL_DEPTH + 2; // bitmap over two words
const PAUSE = GLOBAL_DEPTH + 4; // always 0: Atomics.wait on it is a timed pause
const CLOSING = GLOBAL_DEPTH + 5; // 1 while the owner closes (2 once it has): attaching is refused
/** CONTROL_MAGIC, then the token of the owner's lock entry (4 words): whose store this is. */
const MAGIC = GLOBAL_DEPTH + 6;
const TOKEN = GLOBAL_DEPTH + 7;
const TOKEN_WORDS = 4;
/** 'PMEC' as a little-endian word: this buffer is a pmehash control block. */
const CONTROL_MAGIC = 0x43454d50;
const BUCKETS_AT_DEPTH = 5 * LINE; // MAX_GLOBAL_DEPTH + 2 words
const KEYS = BUCKETS_AT_DEPTH + 2 * LINE; // one line per thread slot
const FIRST_SECTION = KEYS + MAX_THREADS * LINE; // one line per section
/** Word index of the first lock stripe (stripeWordAt). */
const LOCKS = FIRST_SECTION + SECTIONS * LINE;
const WORDS = LOCKS + LOCK_STRIPES;

// Exported through a list, so that this module's own uses stay plain consts (see "Constants on
// the hot path" in bucket.ts).
export { CATALOG, CATALOG_BUSY, EXCLUSIVE, MAX_THREADS, SECTIONS };

/** The lock id of the bucket at (fileId, offset): equal buckets, equal ids; collisions only share a lock. */
export function lockIdOf(fileId: number, offset: number): number {
  return Math.imul(fileId, 0x9e3779b1) ^ (offset >>> 8);
}

/** Word index of the lock stripe of the bucket of lock id `id` (lockIdOf). */
export function stripeWordAt(id: number): number {
  return LOCKS + (id & (LOCK_STRIPES - 1));
}

/** Word index of the section word of catalog entry i, or of a key whose hash is i. */
export function sectionWordAt(i: number): number {
  return FIRST_SECTION + (i & (SECTIONS - 1)) * LINE;
}

/**
 * The step between the sections a redirect of the entries with low `depth` bits `pattern`
 * changes: all the sections congruent to the pattern mod 2^depth, one when depth >= SECTION_BITS.
 */
function sectionStep(depth: number): number {
  return depth >= SECTION_BITS ? SECTIONS : 1 << depth;
}

/**
 * Whether this CPU keeps plain loads in order with one another, and plain stores with one
 * another (x86's total store order). Lookups without a lock, and releases of a bucket lock by a
 * plain store, rely on it (FORMAT.md, "Threads"). Elsewhere (arm64, ...) a lookup locks its
 * bucket as a writer does, and a release is an Atomics.store, ordered after the writes it
 * publishes.
 */
let plainAccessesInOrder = process.arch === 'x64' || process.arch === 'ia32';

/**
 * For tests: SharedControls made by this thread from now on run as on a CPU that does (true)
 * or does not (false) keep plain accesses in order, so that both ways are tested on either.
 */
export function setPlainAccessesInOrder(inOrder: boolean): void {
  plainAccessesInOrder = inOrder;
}

/** What a worker needs to attach: structured-cloneable (postMessage, workerData). */
export interface ShareHandle {
  readonly kind: 'pmehash-share';
  readonly dir: string;
  readonly durability: 'process' | 'sync';
  readonly control: SharedArrayBuffer;
}

function deadlock(what: string): PmEHashError {
  return new PmEHashError(
    'PMEHASH_DEADLOCK',
    `gave up waiting for ${what} after ${SPIN_TIMEOUT_MS} ms: a thread holding it stopped mid-operation (close every handle and reopen the store to recover it)`,
  );
}

/** Bytes of a control block: a handle whose buffer has another size is not one. */
export const CONTROL_BYTES = WORDS * 4;

export class SharedControl {
  readonly words: Int32Array;
  /** bucketsAtDepth as a view into the block, shared by every thread. */
  readonly bucketsAtDepth: Int32Array;

  /** Whether this thread may rely on plain accesses staying in order (plainAccessesInOrder). */
  readonly inOrder = plainAccessesInOrder;

  /**
   * Whether other threads may use the store: set by the owner's share(), and in every worker
   * that attached. While false, every lock below is a no-op, syncWithControl does nothing, and
   * the thread's own copies (StoreState) are the store's numbers.
   */
  threaded: boolean;

  constructor(
    readonly buffer: SharedArrayBuffer,
    threaded = true,
  ) {
    this.words = new Int32Array(buffer);
    this.bucketsAtDepth = new Int32Array(buffer, BUCKETS_AT_DEPTH * 4, MAX_GLOBAL_DEPTH + 2);
    this.threaded = threaded;
  }

  /** A new control block; `threaded` false for a store that is not shared yet. */
  static create(threaded = true): SharedControl {
    return new SharedControl(new SharedArrayBuffer(CONTROL_BYTES), threaded);
  }

  // ---- identity: whose store this control block belongs to -----------------------------------

  /** Marks the block as the one of the store whose lock entry has `token` (32 hex digits). */
  setOwner(token: string): void {
    for (let i = 0; i < TOKEN_WORDS; i++) this.words[TOKEN + i] = parseInt(token.slice(8 * i, 8 * i + 8), 16) | 0;
    Atomics.store(this.words, MAGIC, CONTROL_MAGIC);
  }

  /** The token setOwner wrote, or undefined when the block does not say it is a control block. */
  ownerToken(): string | undefined {
    if (Atomics.load(this.words, MAGIC) !== CONTROL_MAGIC) return undefined;
    let token = '';
    for (let i = 0; i < TOKEN_WORDS; i++) token += (this.words[TOKEN + i] >>> 0).toString(16).padStart(8, '0');
    return token;
  }

  // ---- numbers every thread agrees on --------------------------------------------------------

  get globalDepth(): number {
    return Atomics.load(this.words, GLOBAL_DEPTH);
  }

  set globalDepth(g: number) {
    Atomics.store(this.words, GLOBAL_DEPTH, g);
  }

  /**
   * globalDepth and maxFileId for a holder of the structure lock, or of a catalog section (no
   * doubling or halving can run then): plain loads, since only such a holder changes them, and
   * taking the lock (a compareExchange) ordered them after every change made before.
   */
  get heldGlobalDepth(): number {
    return this.words[GLOBAL_DEPTH];
  }

  get heldMaxFileId(): number {
    return this.words[MAX_FILE_ID];
  }

  get maxFileId(): number {
    return Atomics.load(this.words, MAX_FILE_ID);
  }

  set maxFileId(id: number) {
    Atomics.store(this.words, MAX_FILE_ID, id);
  }

  /**
   * The id of the page file one thread is making ahead of need (bucket-slots.ts,
   * makeNextPage), or 0. Set under the structure lock; cleared by that thread.
   */
  get nextPage(): number {
    return Atomics.load(this.words, NEXT_PAGE);
  }

  set nextPage(id: number) {
    Atomics.store(this.words, NEXT_PAGE, id);
  }

  get allocationCursor(): number {
    return this.words[ALLOC_CURSOR];
  }

  set allocationCursor(id: number) {
    this.words[ALLOC_CURSOR] = id;
  }

  /** A view of thread slot `slot`'s key count (only that thread writes it). */
  keyCounter(slot: number): Int32Array {
    return new Int32Array(this.buffer, (KEYS + slot * LINE) * 4, 1);
  }

  /** Keys in the store: the sum of every slot's count. */
  keys(): number {
    let n = 0;
    for (let slot = 0; slot < MAX_THREADS; slot++) n += Atomics.load(this.words, KEYS + slot * LINE);
    return n;
  }

  // ---- thread slots ------------------------------------------------------------------------

  /**
   * The owner's close: marks the store closing, then counts the other slots in use. With
   * attach's order (take a slot, then look at the mark) and sequentially consistent atomics,
   * either the close sees the worker's slot or the worker sees the mark. Returns the workers
   * still attached (the mark is taken back when there are any).
   */
  beginClose(): number {
    Atomics.store(this.words, CLOSING, 1);
    const workers = this.slotsInUse() - 1;
    if (workers > 0) Atomics.store(this.words, CLOSING, 0);
    return workers;
  }

  /** Whether the owner is closing or has closed the store (attach then gives its slot back and fails). */
  get closing(): boolean {
    return Atomics.load(this.words, CLOSING) !== 0;
  }

  /** The owner's close is done: the block never serves an attach again. */
  markClosed(): void {
    Atomics.store(this.words, CLOSING, 2);
  }

  /** Takes a free thread slot, or returns -1 when all MAX_THREADS are in use. */
  takeSlot(): number {
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      const word = SLOTS_IN_USE + (slot >>> 5);
      const bit = 1 << (slot & 31);
      const old = Atomics.or(this.words, word, bit);
      if ((old & bit) === 0) return slot;
    }
    return -1;
  }

  releaseSlot(slot: number): void {
    Atomics.and(this.words, SLOTS_IN_USE + (slot >>> 5), ~(1 << (slot & 31)));
  }

  /** Thread slots in use. */
  slotsInUse(): number {
    let n = 0;
    for (let slot = 0; slot < MAX_THREADS; slot++) {
      if ((Atomics.load(this.words, SLOTS_IN_USE + (slot >>> 5)) & (1 << (slot & 31))) !== 0) n++;
    }
    return n;
  }

  // ---- bucket version-locks ----------------------------------------------------------------

  /** The version of the lock stripe of bucket `id`: odd while a writer holds it. */
  version(id: number): number {
    return Atomics.load(this.words, stripeWordAt(id));
  }

  /** Tries once to lock bucket `id`'s stripe; returns the held value, or 0 when it is held. */
  tryLockBucket(id: number): number {
    if (!this.threaded) return 1;
    const at = stripeWordAt(id);
    const v = Atomics.load(this.words, at);
    if ((v & 1) === 0 && Atomics.compareExchange(this.words, at, v, v + 1) === v) return v + 1;
    return 0;
  }

  unlockBucket(id: number, held: number): void {
    if (!this.threaded) return;
    SharedControl.release(this.words, stripeWordAt(id), held, this.inOrder);
  }

  /**
   * Releases the bucket lock at word `at` of `words`, held as `held`. Where plain stores stay in
   * order (x86-64), a plain store, not Atomics.store (a full barrier there): every write made
   * under the lock is visible before the new version, and V8 does not move stores past one
   * another. Elsewhere an Atomics.store, which orders the writes before it.
   */
  static release(words: Int32Array, at: number, held: number, inOrder: boolean): void {
    if (inOrder) words[at] = held + 1;
    else Atomics.store(words, at, held + 1);
  }

  /** Whether buckets a and b share a lock stripe. */
  sameStripe(a: number, b: number): boolean {
    return ((a ^ b) & (LOCK_STRIPES - 1)) === 0;
  }

  // ---- structure lock, catalog sections, catalog word ----------------------------------------

  // The structure lock word: 0 free, HELD, or HELD_WAITED when a thread may be asleep on it
  // (Atomics.wait), in which case the unlock wakes one. Most holds last well under a
  // microsecond, so a waiter first watches the word for a while; a doubling or a new page file
  // holds it for up to milliseconds, and a sleeper is woken as soon as it is given back,
  // instead of sleeping a fixed pause past it.

  lockStructure(): void {
    if (!this.threaded) return;
    if (Atomics.compareExchange(this.words, STRUCTURE_LOCK, 0, HELD) !== 0) this.lockStructureSlow();
  }

  private lockStructureSlow(): void {
    const words = this.words;
    for (let spins = 0; spins < STRUCTURE_SPINS; spins++) {
      // Reads while the word is held, so the holder keeps its line until it gives it back.
      if (Atomics.load(words, STRUCTURE_LOCK) === 0 && Atomics.compareExchange(words, STRUCTURE_LOCK, 0, HELD) === 0)
        return;
    }
    const deadline = performance.now() + SPIN_TIMEOUT_MS;
    // From here the word says HELD_WAITED while this thread wants it, even once it holds it:
    // another sleeper may be waiting too, and its wake-up is the unlock's job.
    while (Atomics.exchange(words, STRUCTURE_LOCK, HELD_WAITED) !== 0) {
      if (performance.now() > deadline) throw deadlock('the structure lock');
      Atomics.wait(words, STRUCTURE_LOCK, HELD_WAITED, WAKE_CHECK_MS);
    }
  }

  unlockStructure(): void {
    if (!this.threaded) return;
    if (Atomics.exchange(this.words, STRUCTURE_LOCK, 0) === HELD_WAITED) Atomics.notify(this.words, STRUCTURE_LOCK, 1);
  }

  /**
   * Shared hold of the catalog sections of the entries whose low `depth` bits are `pattern`,
   * for redirecting them (at most 255 threads at once), taken in section order.
   */
  beginRedirect(depth: number, pattern: number): void {
    if (!this.threaded) return;
    const step = sectionStep(depth);
    const first = pattern & (SECTIONS - 1);
    for (let c = first; c < SECTIONS; c += step) {
      try {
        this.holdSection(sectionWordAt(c));
      } catch (err) {
        // Nothing was redirected: the sections taken are let go without a new epoch.
        for (let taken = first; taken < c; taken += step) Atomics.sub(this.words, sectionWordAt(taken), 1);
        throw err;
      }
    }
  }

  private holdSection(at: number): void {
    for (let spins = 0; ; spins++) {
      // A plain load: the compareExchange that follows checks it.
      const w = this.words[at];
      if ((w & EXCLUSIVE) === 0 && Atomics.compareExchange(this.words, at, w, w + 1) === w) return;
      if (spins > 1000) this.backOff(spins, 'a catalog section');
    }
  }

  /**
   * Ends a redirect begun with the same depth and pattern: one sharer less in each of its
   * sections, and the section's epoch advances (in one add).
   */
  endRedirect(depth: number, pattern: number): void {
    if (!this.threaded) return;
    const step = sectionStep(depth);
    for (let c = pattern & (SECTIONS - 1); c < SECTIONS; c += step)
      Atomics.add(this.words, sectionWordAt(c), EPOCH - 1);
  }

  /**
   * Exclusive hold of the catalog (doubling, halving): every section, in section order, once its
   * sharers are gone; then the catalog word says so.
   */
  beginCatalogChange(): void {
    if (!this.threaded) return;
    for (let c = 0; c < SECTIONS; c++) {
      try {
        this.takeSection(sectionWordAt(c));
      } catch (err) {
        for (let taken = 0; taken < c; taken++) Atomics.sub(this.words, sectionWordAt(taken), EXCLUSIVE);
        throw err;
      }
    }
    Atomics.add(this.words, CATALOG, EXCLUSIVE);
  }

  private takeSection(at: number): void {
    for (let spins = 0; ; spins++) {
      const w = Atomics.load(this.words, at);
      if ((w & (SHARERS | EXCLUSIVE)) === 0 && Atomics.compareExchange(this.words, at, w, w | EXCLUSIVE) === w) return;
      if (spins > 1000) this.backOff(spins, 'a catalog section');
    }
  }

  endCatalogChange(): void {
    if (!this.threaded) return;
    Atomics.add(this.words, CATALOG, EPOCH - EXCLUSIVE);
    for (let c = 0; c < SECTIONS; c++) Atomics.add(this.words, sectionWordAt(c), EPOCH - EXCLUSIVE);
  }

  /** The catalog word: it changes only with the depth, and is stable while it has no holder. */
  catalogWord(): number {
    return Atomics.load(this.words, CATALOG);
  }

  /** The section word of catalog entry i: a walk snapshots it as a lookup does. */
  sectionWord(i: number): number {
    return Atomics.load(this.words, sectionWordAt(i));
  }

  /** Whether a catalog or section word shows a redirect or catalog change under way. */
  static busy(word: number): boolean {
    return (word & (SHARERS | EXCLUSIVE)) !== 0;
  }

  private deadline = 0;

  /** Called while spinning: yields the core a little, and gives up after SPIN_TIMEOUT_MS. */
  backOff(spins: number, what: string): void {
    if (spins === 1001) this.deadline = performance.now() + SPIN_TIMEOUT_MS;
    if ((spins & 63) === 0) {
      if (performance.now() > this.deadline) throw deadlock(what);
      Atomics.wait(this.words, PAUSE, 0, 0.05); // a 50 us pause: the owner may be descheduled
    }
  }
}

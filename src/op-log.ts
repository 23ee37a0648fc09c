// Durability 'log', the writer (FORMAT.md, "Log"): every change the store makes is also appended
// to a log segment as its resolved effect (the key's value afterwards, or its absence), in the
// batch record's entry format. Entries gather in memory into a frame; a frame is written with one
// positioned write when it fills or at a commit, and a commit makes everything written durable
// with one fdatasync (group commit). Commits happen at flush(), and once the commit interval has
// passed: checked every CHECK_EVERY appends (a synchronous loop never lets a timer run) and by a
// timer that does not keep the process alive (for a program that stops writing).

import { performance } from 'node:perf_hooks';
import * as layout from '../include-types/layout';
import { BATCH_ENTRY_WORDS } from './batch-record';
import { wordChecksum } from './checksum';
import { ioError } from './errors';
import { filePath, segmentFileName } from './files';
import type { StoreFiles } from './store-files';

const {
  LOG_FRAME_CHECKSUM_OFFSET,
  LOG_FRAME_COUNT_OFFSET,
  LOG_FRAME_FLAGS_OFFSET,
  LOG_FRAME_HEADER_SIZE,
  LOG_FRAME_MAGIC,
  LOG_FRAME_MAGIC_OFFSET,
  LOG_FRAME_FLAG_CLEAR,
  WORD,
} = layout;
const HEADER_WORDS = LOG_FRAME_HEADER_SIZE / WORD;

/** Entries a frame holds before it is written out (1.25 MiB): outside a group, it is then sealed. */
const FRAME_ENTRIES = 65536;
/** Appends between two looks at the clock. */
const CHECK_EVERY = 1024;
/** Segment bytes after which a checkpoint is taken, at least (else twice the last snapshot's size). */
const MIN_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** The default commit interval, in milliseconds. */
export const DEFAULT_COMMIT_INTERVAL = 10;

/** The checksum of a frame whose header and entries are in `words` from index 0: its count and flags, then its entries. */
export function frameChecksum(words: Uint32Array, count: number): number {
  const header = wordChecksum(words, LOG_FRAME_COUNT_OFFSET / WORD, LOG_FRAME_CHECKSUM_OFFSET / WORD);
  return wordChecksum(words, HEADER_WORDS, HEADER_WORDS + count * BATCH_ENTRY_WORDS, header);
}

export class OpLog {
  /** Set while the store applies what the log already holds (recovery, a clear's removes). */
  muted = false;
  /** Bytes written to segments since the last snapshot. */
  bytesSinceSnapshot = 0;
  /** Log bytes after which a background checkpoint starts. */
  checkpointAfter = Infinity;
  /** The least checkpointAfter a checkpoint sets (tests make it small). */
  minCheckpointBytes = MIN_CHECKPOINT_BYTES;
  /** Appends between two looks at the clock and the checkpoint (tests make it small). */
  checkEvery = CHECK_EVERY;
  /** Runs background checkpoints a step at a time (src/checkpoint.ts); set once the store is open. */
  checkpointer: { readonly running: boolean; step(): void } | undefined;
  /** Commits made (fdatasync calls), for tests and the report. */
  commits = 0;
  private words = new Uint32Array(HEADER_WORDS + FRAME_ENTRIES * BATCH_ENTRY_WORDS);
  private capacity = FRAME_ENTRIES;
  /** Entries in the frame being gathered. */
  private count = 0;
  private flags = 0;
  /** Open batches: the frame is not sealed until the outermost one ends, so it holds them whole. */
  private groups = 0;
  private sinceCheck = 0;
  private lastCommit = performance.now();
  /** Whether bytes were written to the segment since its last fdatasync. */
  private unsynced = false;
  /**
   * The first failed write or fdatasync of the log. It stays: after a failed fdatasync the
   * kernel may have dropped the pages, and a later one that succeeds proves nothing. Every
   * commit (flush(), close()) throws it from then on.
   */
  private failure: Error | undefined;
  private path = '';
  /** Where the next frame goes in the segment. */
  private end = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly files: StoreFiles,
    readonly dir: string,
    /** The segment appended to. */
    public gen: number,
    /** Milliseconds after which a returned operation is durable. */
    readonly interval: number,
  ) {
    this.path = filePath(dir, segmentFileName(gen));
    this.timer = setInterval(
      () => {
        try {
          this.commitIfDue();
        } catch {
          // The frame stays gathered; the next commit, or flush(), tries again and reports.
        }
      },
      Math.max(1, interval / 2),
    );
    this.timer.unref();
  }

  /** Appends one effect (BatchOp.Put with its value, or BatchOp.Del). */
  append(kLo: number, kHi: number, vLo: number, vHi: number, op: number): void {
    if (this.muted) return;
    if (this.count === this.capacity) this.grow();
    const e = HEADER_WORDS + this.count * BATCH_ENTRY_WORDS;
    const w = this.words;
    w[e] = kLo;
    w[e + 1] = kHi;
    w[e + 2] = vLo;
    w[e + 3] = vHi;
    w[e + 4] = op;
    this.count++;
    if (++this.sinceCheck >= this.checkEvery) this.commitQuietly();
  }

  /**
   * commitIfDue from inside an operation, which has changed the store already and must not
   * fail now: a failed commit stays in `failure` for flush() and close() to report, and a failed
   * checkpoint is tried again after the next interval's worth of log.
   */
  private commitQuietly(): void {
    try {
      this.commitIfDue();
    } catch {
      // Kept in failure (a commit), or retried (a checkpoint).
    }
  }

  /**
   * Starts a batch: what is appended until endGroup() goes into one frame, so that a power loss
   * keeps all of it or none. With `clear`, the frame first removes every pair.
   */
  beginGroup(clear: boolean): void {
    if (clear) {
      if (this.count > 0 && this.groups === 0) this.seal();
      this.flags |= LOG_FRAME_FLAG_CLEAR;
    }
    this.groups++;
  }

  endGroup(): void {
    this.groups--;
  }

  /** Returns once every effect appended before it is durable. */
  flush(): void {
    this.commit();
  }

  /**
   * Commits when the interval has passed since the last commit, and takes a step of a
   * background checkpoint when one runs or is due (never inside a batch).
   */
  commitIfDue(): void {
    this.sinceCheck = 0;
    if (this.groups > 0) return;
    if ((this.gathered() || this.unsynced) && performance.now() - this.lastCommit >= this.interval) this.commit();
    const c = this.checkpointer;
    if (c !== undefined && !this.muted && (c.running || this.bytesSinceSnapshot >= this.checkpointAfter)) {
      try {
        c.step();
      } catch (err) {
        this.checkpointAfter = this.bytesSinceSnapshot + this.minCheckpointBytes; // try again later
        throw err;
      }
    }
  }

  /** Writes the frame being gathered, and makes the segment durable. */
  commit(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.groups > 0) return; // the batch's end commits it when due
    if (this.gathered()) this.seal();
    if (this.unsynced) {
      try {
        this.files.syncFile(this.path);
      } catch (err) {
        this.failure = ioError(`cannot make the log durable (${this.path})`, err);
        throw this.failure;
      }
      this.unsynced = false;
      this.commits++;
    }
    this.lastCommit = performance.now();
  }

  /** Whether the frame being gathered holds anything: entries, or a clear (a frame of no entries). */
  private gathered(): boolean {
    return this.count > 0 || this.flags !== 0;
  }

  /**
   * The next checkpoint starts once the segments since a snapshot of `snapshotBytes` bytes
   * exceed the larger of minCheckpointBytes and twice that size (FORMAT.md, "Checkpoint").
   */
  checkpointAfterSnapshot(snapshotBytes: number): void {
    this.checkpointAfter = Math.max(this.minCheckpointBytes, 2 * snapshotBytes);
  }

  /** Continues in a new, empty segment once this one is durable (a checkpoint's step 1). */
  switchTo(gen: number): void {
    this.commit();
    this.gen = gen;
    this.path = filePath(this.dir, segmentFileName(gen));
    this.end = 0;
    try {
      this.files.remove(this.path); // a file of that name left by a cut-short checkpoint is not extended
      this.files.writeAt(this.path, new Uint8Array(0), 0);
      this.files.syncLogFolder(this.dir);
    } catch (err) {
      // Appends would go to a file whose name may not be durable: the log fails from here on.
      this.failure = ioError(`cannot start log segment ${this.path}`, err);
      throw this.failure;
    }
    this.bytesSinceSnapshot = 0;
  }

  /** Stops the timer; the caller has committed what it must. */
  close(): void {
    clearInterval(this.timer);
  }

  /**
   * A full frame: sealed outside a batch (unless that fails: the frame then grows, and the
   * failure stays for the next commit), made larger inside one (a batch stays one frame).
   */
  private grow(): void {
    if (this.groups === 0 && this.failure === undefined) {
      try {
        this.seal();
        return;
      } catch (err) {
        this.failure = err as Error;
      }
    }
    const grown = new Uint32Array(HEADER_WORDS + 2 * this.capacity * BATCH_ENTRY_WORDS);
    grown.set(this.words);
    this.words = grown;
    this.capacity *= 2;
  }

  /** Writes the frame being gathered at the segment's end, without waiting for the medium. */
  private seal(): void {
    const w = this.words;
    w[LOG_FRAME_MAGIC_OFFSET / WORD] = LOG_FRAME_MAGIC;
    w[LOG_FRAME_COUNT_OFFSET / WORD] = this.count;
    w[LOG_FRAME_FLAGS_OFFSET / WORD] = this.flags;
    w[LOG_FRAME_CHECKSUM_OFFSET / WORD] = frameChecksum(w, this.count);
    const bytes = LOG_FRAME_HEADER_SIZE + this.count * BATCH_ENTRY_WORDS * WORD;
    try {
      this.files.writeAt(this.path, new Uint8Array(w.buffer, 0, bytes), this.end);
    } catch (err) {
      this.failure = ioError(`cannot append to the log (${this.path})`, err);
      throw this.failure;
    }
    this.end += bytes;
    this.bytesSinceSnapshot += bytes;
    this.unsynced = true;
    this.count = 0;
    this.flags = 0;
    if (this.capacity > FRAME_ENTRIES) {
      this.words = new Uint32Array(HEADER_WORDS + FRAME_ENTRIES * BATCH_ENTRY_WORDS);
      this.capacity = FRAME_ENTRIES;
    }
  }
}

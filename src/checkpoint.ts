// Durability 'log', checkpoints (FORMAT.md, "Checkpoint"): a snapshot of every pair, after which
// the segments and snapshots before it are removed. At open a checkpoint runs whole, its
// snapshot made durable before the log goes on in a new segment. While the store is in use it
// runs in the background of the operations, in steps of about a millisecond: the log first goes
// on in a new segment, then a cursor gathers the pairs bucket by bucket (a fuzzy snapshot: a pair
// that changes meanwhile may be met with either value, or twice, and the new segment holds its
// change), the snapshot is written and fdatasynced a chunk a step, then renamed.

import { performance } from 'node:perf_hooks';
import * as layout from '../include-types/layout';
import { wordChecksum } from './checksum';
import { PairCursor } from './cursor';
import { ioError } from './errors';
import { filePath, PARTIAL_SUFFIX, snapshotFileName } from './files';
import { scanLogFolder, sealSnapshotHeader } from './log-folder';
import { removeLeftovers } from './log-store';
import type { StoreFiles } from './store-files';
import type { OpLog } from './op-log';
import type { WordStore } from './word-store';

const { SNAPSHOT_HEADER_SIZE, WORD } = layout;
const HEADER_WORDS = SNAPSHOT_HEADER_SIZE / WORD;

/** Where a background checkpoint is. */
const enum Phase {
  Idle,
  Gather,
  Write,
  Publish,
  Remove,
}

/**
 * Gathered pairs, in chunks of `chunkWords` words (never copied as they grow): the first chunk
 * starts with the header's room; then (key low, key high, value low, value high) per pair.
 */
class PairBuffer {
  readonly chunks: Uint32Array[] = [];
  /** Words used in the last chunk. */
  private used: number;
  private count = 0;
  /** wordChecksum of the pairs so far. */
  private checksum: number | undefined;

  constructor(private readonly chunkWords: number) {
    this.chunks.push(new Uint32Array(chunkWords));
    this.used = HEADER_WORDS;
  }

  add(pairs: Uint32Array, count: number): void {
    for (let k = 0; k < 4 * count; k += 4) {
      if (this.used + 4 > this.chunkWords) {
        this.chunks.push(new Uint32Array(this.chunkWords));
        this.used = 0;
      }
      const chunk = this.chunks[this.chunks.length - 1];
      const u = this.used;
      chunk[u] = pairs[k];
      chunk[u + 1] = pairs[k + 1];
      chunk[u + 2] = pairs[k + 2];
      chunk[u + 3] = pairs[k + 3];
      this.checksum = wordChecksum(chunk, u, u + 4, this.checksum);
      this.used = u + 4;
    }
    this.count += count;
  }

  /** The snapshot of segment `gen` as byte ranges to write in order, its header filled in. */
  seal(gen: number): Uint8Array[] {
    const header = this.chunks[0];
    sealSnapshotHeader(header, this.count, gen, this.checksum ?? wordChecksum(header, 0, 0));
    const last = this.chunks.length - 1;
    return this.chunks.map((c, i) => new Uint8Array(c.buffer, 0, (i === last ? this.used : this.chunkWords) * WORD));
  }
}

export class Checkpointer {
  /** Milliseconds a background step works before it returns (tests make it 0: one bucket a step). */
  stepMilliseconds = 1;
  /** Bytes of the snapshot a background step writes and fdatasyncs (a multiple of 16). */
  chunkBytes = 256 * 1024;
  /**
   * Bytes a background step cuts off a covered file before removing it: unlinking a file of
   * tens of megabytes frees all its blocks in one call, which takes as long.
   */
  shrinkBytes = 2 * 1024 * 1024;
  private phase = Phase.Idle;
  private gen = 0;
  private cursor: PairCursor | undefined;
  private pairs: PairBuffer | undefined;
  /** The sealed snapshot's chunks, and how many are written. */
  private sealed: Uint8Array[] = [];
  private written = 0;
  private size = 0;
  /** Files the new snapshot covers, still to remove (step 5). */
  private covered: string[] = [];

  constructor(
    private readonly files: StoreFiles,
    private readonly logDir: string,
    private readonly words: WordStore,
    private readonly log: OpLog,
  ) {}

  /** Whether a background checkpoint is under way. */
  get running(): boolean {
    return this.phase !== Phase.Idle;
  }

  /**
   * A whole checkpoint, now (at open): (1) commit the segment; (2) write the snapshot of the next
   * one and fdatasync it; (3) rename it; (4) go on in the new segment; (5) remove what it
   * covers. A crash before (3) leaves the previous snapshot and the segments after it, the
   * last one still the last (a torn end that a rebuild stopped at stays the end).
   */
  runNow(): void {
    this.abandon();
    this.makeFolder();
    this.log.commit(); // step 1
    const gen = this.log.gen + 1;
    const pairs = new PairBuffer(this.chunkBytes / WORD);
    const cursor = new PairCursor();
    while (cursor.next(this.words.current())) pairs.add(cursor.batch, cursor.batchSize);
    const chunks = pairs.seal(gen);
    const partial = this.partialPath(gen);
    let at = 0;
    this.io(gen, () => {
      this.files.remove(partial);
      for (const chunk of chunks) {
        this.files.writeAt(partial, chunk, at); // step 2
        at += chunk.length;
      }
      this.files.syncFile(partial);
    });
    this.publish(gen, at); // steps 3-5
  }

  /**
   * One step of a background checkpoint, of about stepMilliseconds; starts one when none runs.
   * Its steps (FORMAT.md): (1) commit the segment and go on in a new one; (2) gather the pairs;
   * (3) write the snapshot and fdatasync it, a chunk a step; (4) rename it; (5) remove what it
   * covers. A crash before (4) leaves the previous snapshot and every segment after it.
   */
  step(): void {
    const until = performance.now() + this.stepMilliseconds;
    if (this.phase === Phase.Idle) {
      this.makeFolder();
      this.gen = this.log.gen + 1;
      this.log.switchTo(this.gen); // step 1
      this.cursor = new PairCursor();
      this.pairs = new PairBuffer(this.chunkBytes / WORD);
      this.phase = Phase.Gather;
    }
    if (this.phase === Phase.Gather) {
      const cursor = this.cursor!;
      do {
        if (!cursor.next(this.words.current())) {
          // The snapshot holds changes made while it was gathered: their frames must be durable
          // before it is published (step 4), or a power loss could keep it without them.
          this.io(this.gen, () => this.log.commit());
          this.sealed = this.pairs!.seal(this.gen);
          this.cursor = this.pairs = undefined;
          this.written = 1; // the first chunk, with the header, goes last
          this.size = this.sealed[0].length;
          this.phase = Phase.Write;
          this.io(this.gen, () => this.files.remove(this.partialPath(this.gen)));
          return;
        }
        this.pairs!.add(cursor.batch, cursor.batchSize); // step 2
      } while (performance.now() < until);
      return;
    }
    if (this.phase === Phase.Publish) {
      this.rename(this.gen); // step 4
      this.phase = Phase.Remove;
      this.io(this.gen, () => (this.covered = scanLogFolder(this.files, this.logDir).leftovers));
      return;
    }
    if (this.phase === Phase.Remove) {
      this.removeStep(); // step 5
      return;
    }
    // Step 3: a chunk a step, each fdatasynced; the first (with the header) last.
    const partial = this.partialPath(this.gen);
    const chunk = this.written < this.sealed.length ? this.written : 0;
    const offset = chunk === 0 ? 0 : this.size;
    this.io(this.gen, () => {
      this.files.writeAt(partial, this.sealed[chunk], offset);
      this.files.syncFile(partial);
    });
    if (chunk !== 0) {
      this.size += this.sealed[chunk].length;
      this.written++;
      return;
    }
    this.sealed = [];
    this.phase = Phase.Publish;
  }

  /** Drops a background checkpoint under way (its partial snapshot is removed by the next). */
  abandon(): void {
    this.phase = Phase.Idle;
    this.cursor = this.pairs = undefined;
    this.sealed = [];
    this.covered = [];
  }

  /** Renames the durable partial snapshot of `gen`, then removes what it covers. */
  private publish(gen: number, bytes: number): void {
    this.rename(gen);
    if (this.log.gen < gen) this.log.switchTo(gen); // runNow, step 4
    this.removeCovered(bytes);
  }

  /** Makes the durable partial snapshot of `gen` the snapshot. */
  private rename(gen: number): void {
    this.io(gen, () => {
      this.files.rename(this.partialPath(gen), filePath(this.logDir, snapshotFileName(gen)));
      this.files.syncLogFolder(this.logDir);
    });
  }

  /** Step 5 in the background: cuts the next covered file by shrinkBytes, or removes it; at the end, the next trigger. */
  private removeStep(): void {
    const name = this.covered[0];
    if (name === undefined) {
      this.io(this.gen, () => this.files.syncLogFolder(this.logDir));
      this.phase = Phase.Idle;
      this.log.checkpointAfterSnapshot(this.size);
      return;
    }
    const file = filePath(this.logDir, name);
    this.io(this.gen, () => {
      const size = this.files.exists(file) ? this.files.size(file) : 0;
      if (size > this.shrinkBytes) {
        this.files.shrinkFile(file, size - this.shrinkBytes);
        return;
      }
      this.files.remove(file);
      this.covered.shift();
    });
  }

  /** Removes the snapshots and segments the new snapshot (of `bytes` bytes) covers; sets the next trigger. */
  private removeCovered(bytes: number): void {
    removeLeftovers(this.files, this.logDir, scanLogFolder(this.files, this.logDir).leftovers);
    this.log.checkpointAfterSnapshot(bytes);
  }

  private partialPath(gen: number): string {
    return filePath(this.logDir, snapshotFileName(gen) + PARTIAL_SUFFIX);
  }

  private makeFolder(): void {
    try {
      this.files.makeFolder(this.logDir);
    } catch (err) {
      throw ioError(`cannot create log folder ${this.logDir}`, err);
    }
  }

  /** File operations of the snapshot of `gen`; a failure drops the checkpoint and is thrown as PMEHASH_IO. */
  private io(gen: number, operations: () => void): void {
    try {
      operations();
    } catch (err) {
      this.abandon();
      throw ioError(`cannot write the checkpoint ${filePath(this.logDir, snapshotFileName(gen))}`, err);
    }
  }
}

// A thread slot's batch record (FORMAT.md, "Batch record"): the file pm_ehash_batch_<slot>
// holding the resolved effects of one batch (each key's value afterwards, or its absence), so
// that a batch is applied wholly or not at all across a crash. The state word in the header is
// the commit point: written after the entries are persisted, cleared once every operation is
// applied. Recovery applies a committed record again: each entry is an effect, not a change, so
// applying a record twice, or over part of itself, leaves what applying it once does.

import * as layout from '../include-types/layout';
import { BatchOp, BatchState } from '../include-types/layout';
import { fnv1a32 } from './checksum';
import { ioError, PmEHashCorruptError } from './errors';
import { batchFileName, filePath } from './files';
import type { StoreFiles } from './store-files';

const {
  BATCH_CHECKSUM_OFFSET,
  BATCH_COUNT_OFFSET,
  BATCH_ENTRY_OP,
  BATCH_ENTRY_SIZE,
  BATCH_FLAGS_OFFSET,
  BATCH_FLAG_CLEAR,
  BATCH_HEADER_SIZE,
  BATCH_MAGIC,
  BATCH_MAGIC_OFFSET,
  BATCH_STATE_OFFSET,
  WORD,
} = layout;
/** Words of a batch entry (FORMAT.md, "Batch record"): key, value (halves), BatchOp. */
export const BATCH_ENTRY_WORDS = BATCH_ENTRY_SIZE / WORD;

/** A batch's operations as the store applies them: entry i is words[5i .. 5i+4] (FORMAT.md). */
export interface BatchEffects {
  /** Key low, key high, value low, value high, BatchOp, per entry. */
  readonly words: Uint32Array;
  readonly count: number;
  /** Every pair is removed before the entries are applied (clear()). */
  readonly clear: boolean;
}

/** A committed batch record found at open: applied again once the store is recovered, then retired. */
export interface PendingBatch {
  slot: number;
  effects: BatchEffects;
}

/** The checksum of a record: its count and flags words, then its entries. */
function recordChecksum(bytes: Buffer, count: number): number {
  const header = fnv1a32(bytes, BATCH_COUNT_OFFSET, BATCH_FLAGS_OFFSET + WORD);
  return fnv1a32(bytes, BATCH_HEADER_SIZE, BATCH_HEADER_SIZE + count * BATCH_ENTRY_SIZE, header);
}

/** The writer of one thread slot's batch record; the file is made at its first batch. */
export class BatchRecord {
  private buffer: Buffer | undefined;
  private readonly path: string;

  constructor(
    private readonly dir: string,
    private readonly files: StoreFiles,
    slot: number,
  ) {
    this.path = filePath(dir, batchFileName(slot));
  }

  /**
   * FORMAT.md, batch: steps 1-3. Writes the effects and persists them, then commits the record
   * (one word, persisted): from here on, recovery applies the batch if the caller does not finish.
   */
  commit(effects: BatchEffects): void {
    const bytes = BATCH_HEADER_SIZE + effects.count * BATCH_ENTRY_SIZE;
    const b = this.room(bytes);
    const words = new Uint32Array(b.buffer, b.byteOffset, bytes / WORD);
    words.set(effects.words.subarray(0, effects.count * BATCH_ENTRY_WORDS), BATCH_HEADER_SIZE / WORD);
    b.writeUInt32LE(BATCH_MAGIC, BATCH_MAGIC_OFFSET); // again: a creation cut short left 0
    b.writeUInt32LE(effects.count, BATCH_COUNT_OFFSET);
    b.writeUInt32LE(effects.clear ? BATCH_FLAG_CLEAR : 0, BATCH_FLAGS_OFFSET);
    b.writeUInt32LE(recordChecksum(b, effects.count), BATCH_CHECKSUM_OFFSET);
    this.files.persist(b, 0, bytes); // step 1
    b.writeUInt32LE(BatchState.Committed, BATCH_STATE_OFFSET);
    try {
      this.files.persist(b, BATCH_STATE_OFFSET, WORD); // step 2: the commit point
    } catch (err) {
      // The caller applies nothing and retires nothing: a record left committed in memory
      // would be applied by a later recovery, over whatever happened after it. The written
      // backend may have written the word before its fdatasync failed: written back too.
      b.writeUInt32LE(BatchState.Retired, BATCH_STATE_OFFSET);
      try {
        this.files.persist(b, BATCH_STATE_OFFSET, WORD);
      } catch {
        // The first failure is the one to report.
      }
      throw err;
    }
  }

  /**
   * FORMAT.md, batch: step 5, once every effect is applied. The state word goes first: a torn
   * write of the line then leaves a retired record, never a committed one with no checksum.
   */
  retire(): void {
    const b = this.room(BATCH_HEADER_SIZE);
    b.writeUInt32LE(BatchState.Retired, BATCH_STATE_OFFSET);
    b.writeUInt32LE(0, BATCH_CHECKSUM_OFFSET);
    this.files.persist(b, 0, BATCH_HEADER_SIZE);
  }

  /** Gives back the mapping (close). */
  release(): void {
    if (this.buffer !== undefined) this.files.release(this.buffer);
    this.buffer = undefined;
  }

  /** The mapping, made or grown to at least `bytes` first. */
  private room(bytes: number): Buffer {
    try {
      if (this.buffer === undefined) {
        // A file shorter than its header is one whose creation was cut short (all zeros): it
        // is grown, and the next commit writes its magic.
        if (!this.files.exists(this.path))
          this.buffer = this.files.create(this.path, Math.max(bytes, BATCH_HEADER_SIZE));
        else if (this.files.size(this.path) < BATCH_HEADER_SIZE)
          this.buffer = this.files.resize(this.path, Math.max(bytes, BATCH_HEADER_SIZE));
        else this.buffer = this.files.map(this.path);
        // The name must be durable before a commit in the file (sync mode; a no-op otherwise):
        // a file made, or left short, by a creation that was cut short may not be.
        this.files.syncFolder(this.dir);
      }
      if (this.buffer.length < bytes) {
        const old = this.buffer;
        this.buffer = this.files.resize(this.path, bytes);
        this.files.release(old);
      }
    } catch (err) {
      throw ioError(`cannot make room for a batch of ${bytes} bytes in ${this.path}`, err);
    }
    return this.buffer;
  }
}

/**
 * Reads the batch record of `slot` in `dir` without changing anything: its effects when it is
 * committed, undefined when there is nothing to apply. A record that is not one, or a
 * committed one that does not check, is refused (PmEHashCorruptError naming the file).
 */
export function readBatchRecord(files: StoreFiles, dir: string, slot: number): BatchEffects | undefined {
  const name = batchFileName(slot);
  const corrupt = (problem: string) => new PmEHashCorruptError(name, problem, { dir });
  const b = files.read(filePath(dir, name));
  // A file whose creation was cut short (a crash, a full disk) is all zeros, of any length up
  // to its header's, or longer: an empty record.
  if (b.subarray(0, BATCH_HEADER_SIZE).every((x) => x === 0)) return undefined;
  if (b.length < BATCH_HEADER_SIZE)
    throw corrupt(`${b.length} bytes, shorter than its ${BATCH_HEADER_SIZE}-byte header`);
  const magic = b.readUInt32LE(BATCH_MAGIC_OFFSET);
  const state = b.readUInt32LE(BATCH_STATE_OFFSET);
  if (magic !== BATCH_MAGIC) throw corrupt('not a batch record (bad magic)');
  if (state === BatchState.Retired) return undefined;
  if (state !== BatchState.Committed) throw corrupt(`unknown state ${state}`);
  const count = b.readUInt32LE(BATCH_COUNT_OFFSET);
  const flags = b.readUInt32LE(BATCH_FLAGS_OFFSET);
  if (BATCH_HEADER_SIZE + count * BATCH_ENTRY_SIZE > b.length)
    throw corrupt(`its committed batch of ${count} operations is longer than the file`);
  if ((flags & ~BATCH_FLAG_CLEAR) !== 0) throw corrupt(`unknown flags ${flags}`);
  if (recordChecksum(b, count) !== b.readUInt32LE(BATCH_CHECKSUM_OFFSET))
    throw corrupt('its committed batch does not match its checksum');
  const words = new Uint32Array(count * BATCH_ENTRY_WORDS);
  for (let i = 0; i < words.length; i++) words[i] = b.readUInt32LE(BATCH_HEADER_SIZE + i * WORD);
  for (let i = 0; i < count; i++) {
    const op = words[i * BATCH_ENTRY_WORDS + BATCH_ENTRY_OP / WORD];
    if (op !== BatchOp.Put && op !== BatchOp.Del) throw corrupt(`operation ${i} has unknown code ${op}`);
  }
  return { words, count, clear: (flags & BATCH_FLAG_CLEAR) !== 0 };
}

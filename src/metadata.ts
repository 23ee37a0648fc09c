// pm_ehash_metadata: the metadata block (magic, version, geometry, maxFileId, globalDepth) and
// the operation log records, one per thread slot, that make multi-step changes redoable after a
// crash. A MetadataFile writes the record of its own slot.
//
// The metadata block is never written in place without a log record: a change first logs the new
// values (Metadata op), then writes the block, then clears the log. A crash while writing the
// block leaves a valid log that recovery redoes; a crash while writing the log leaves a record
// whose checksum does not match, which means "nothing logged".

import type { EhashMetadata } from '../include-types/store';
import {
  BUCKET_KV_SLOTS,
  FORMAT_VERSION,
  LOG_ARG_COUNT,
  LOG_ARGS_OFFSET,
  LOG_CHECKSUM_OFFSET,
  LOG_OFFSET,
  LOG_OP_OFFSET,
  LOG_RECORD_SIZE,
  LogOp,
  MAX_BUCKETS_PER_PAGE,
  MAX_GLOBAL_DEPTH,
  META_BLOCK_SIZE,
  META_BUCKETS_PER_PAGE_OFFSET,
  META_CATALOG_SIZE_OFFSET,
  META_CHECKSUM_OFFSET,
  META_GLOBAL_DEPTH_OFFSET,
  META_KV_SLOTS_OFFSET,
  META_LOG_STAMP_OFFSET,
  META_MAGIC_OFFSET,
  META_MAX_FILE_ID_OFFSET,
  META_VERSION_OFFSET,
  METADATA_FILE_SIZE,
  METADATA_MAGIC,
  OLDEST_UPGRADABLE_FORMAT_VERSION,
  V3_FORMAT_VERSION,
  V3_METADATA_FILE_SIZE,
  WORD,
} from '../include-types/layout';
import { fnv1a32 } from './checksum';
import { PmEHashCorruptError, PmEHashVersionError } from './errors';
import { METADATA_FILE } from './files';
import type { StoreFiles } from './store-files';

/** Byte offset of thread slot `slot`'s log record. */
function logOffset(slot: number): number {
  return LOG_OFFSET + slot * LOG_RECORD_SIZE;
}

/** A log record as read back: its thread slot, op and arguments. */
export interface LogRecord {
  slot: number;
  op: LogOp;
  args: number[];
}

function logChecksum(bytes: Uint8Array, slot: number): number {
  // Never 0, so that a cleared record (checksum 0) can never look valid.
  return fnv1a32(bytes, logOffset(slot), logOffset(slot) + LOG_CHECKSUM_OFFSET) || 1;
}

function metaChecksum(bytes: Uint8Array): number {
  return fnv1a32(bytes, 0, META_CHECKSUM_OFFSET);
}

/** The valid log record of `slot` in `bytes`, or undefined when there is none (cleared or torn). */
function readLog(bytes: Buffer, slot: number): LogRecord | undefined {
  const at = logOffset(slot);
  const op = bytes.readUInt32LE(at + LOG_OP_OFFSET);
  if (op === LogOp.None) return undefined;
  if (bytes.readUInt32LE(at + LOG_CHECKSUM_OFFSET) !== logChecksum(bytes, slot)) return undefined;
  const args: number[] = [];
  for (let i = 0; i < LOG_ARG_COUNT; i++) args.push(bytes.readUInt32LE(at + LOG_ARGS_OFFSET + i * WORD));
  return { slot, op: op as LogOp, args };
}

/** Every valid log record in the metadata file's bytes, by slot. */
export function readLogs(bytes: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  const slots = (bytes.length - META_BLOCK_SIZE) / LOG_RECORD_SIZE;
  for (let slot = 0; slot < slots; slot++) {
    const record = readLog(bytes, slot);
    if (record) records.push(record);
  }
  return records;
}

/**
 * Parses and validates the metadata file's bytes without changing anything. A pending Metadata
 * log record supplies maxFileId and globalDepth (the block may be half-written under it). Its
 * errors name the file in `dir`, the store folder, when given.
 */
export function parseMetadata(bytes: Buffer, dir?: string): EhashMetadata {
  const fail = (problem: string): never => {
    throw new PmEHashCorruptError(METADATA_FILE, problem, { dir });
  };
  // Versions 4 and 5 have LOG_SLOTS records; version 3 had one, and while it is upgraded in
  // place (recovery, step 10) its file may already have the size of the later versions.
  if (bytes.length !== METADATA_FILE_SIZE && bytes.length !== V3_METADATA_FILE_SIZE) {
    fail(`size is ${bytes.length} bytes, expected ${METADATA_FILE_SIZE}`);
  }
  if (bytes.toString('latin1', META_MAGIC_OFFSET, META_MAGIC_OFFSET + 8) !== METADATA_MAGIC) {
    fail('bad magic: not a pmehash metadata file');
  }
  const version = bytes.readUInt32LE(META_VERSION_OFFSET);
  if (version < OLDEST_UPGRADABLE_FORMAT_VERSION || version > FORMAT_VERSION) {
    throw new PmEHashVersionError(METADATA_FILE, version, FORMAT_VERSION, dir);
  }
  if (version !== V3_FORMAT_VERSION && bytes.length !== METADATA_FILE_SIZE) {
    fail(`size is ${bytes.length} bytes, expected ${METADATA_FILE_SIZE}`);
  }
  // Metadata changes are serialised (the structure lock): at most one record is pending.
  const log = readLogs(bytes).find((r) => r.op === LogOp.Metadata);
  const pending = log !== undefined;
  if (!pending && bytes.readUInt32LE(META_CHECKSUM_OFFSET) !== metaChecksum(bytes)) {
    fail('metadata checksum mismatch');
  }
  const meta: EhashMetadata = {
    formatVersion: version,
    bucketsPerPage: bytes.readUInt32LE(META_BUCKETS_PER_PAGE_OFFSET),
    kvSlots: bytes.readUInt32LE(META_KV_SLOTS_OFFSET),
    maxFileId: pending ? log.args[0] : bytes.readUInt32LE(META_MAX_FILE_ID_OFFSET),
    globalDepth: pending ? log.args[1] : bytes.readUInt32LE(META_GLOBAL_DEPTH_OFFSET),
    catalogSize: 0,
  };
  meta.catalogSize = pending ? 2 ** meta.globalDepth : bytes.readUInt32LE(META_CATALOG_SIZE_OFFSET);
  if (meta.kvSlots !== BUCKET_KV_SLOTS) fail(`buckets of ${meta.kvSlots} kv slots, this build uses ${BUCKET_KV_SLOTS}`);
  if (meta.bucketsPerPage < 1 || meta.bucketsPerPage > MAX_BUCKETS_PER_PAGE) {
    fail(`bucketsPerPage ${meta.bucketsPerPage} out of range [1, ${MAX_BUCKETS_PER_PAGE}]`);
  }
  if (meta.globalDepth > MAX_GLOBAL_DEPTH) fail(`globalDepth ${meta.globalDepth} exceeds ${MAX_GLOBAL_DEPTH}`);
  if (meta.catalogSize !== 2 ** meta.globalDepth) {
    fail(`catalogSize ${meta.catalogSize} is not 2^globalDepth (${2 ** meta.globalDepth})`);
  }
  if (meta.maxFileId < 2) fail(`maxFileId ${meta.maxFileId}: a store has at least one page file`);
  return meta;
}

/** The mapped metadata file, as one thread slot writes it. */
export class MetadataFile {
  private readonly words: Uint32Array;
  private readonly opWord: number;
  private readonly argsWord: number;
  private readonly checksumWord: number;

  constructor(
    readonly buffer: Buffer,
    private readonly files: StoreFiles,
    /** The thread slot whose log record this object writes (0: the thread that opened the store). */
    readonly slot = 0,
  ) {
    this.words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / WORD);
    const logWord = logOffset(slot) / WORD;
    this.opWord = logWord + LOG_OP_OFFSET / WORD;
    this.argsWord = logWord + LOG_ARGS_OFFSET / WORD;
    this.checksumWord = logWord + LOG_CHECKSUM_OFFSET / WORD;
  }

  /** The same file, mapped by this thread, writing the record of `slot`. */
  forSlot(buffer: Buffer, slot: number): MetadataFile {
    return new MetadataFile(buffer, this.files, slot);
  }

  /** The format version in the block. */
  get version(): number {
    return this.buffer.readUInt32LE(META_VERSION_OFFSET);
  }

  /**
   * Recovery, step 10: a store of an earlier version, its log already redone and its buckets
   * reseeded, becomes the current version. The file has METADATA_FILE_SIZE bytes (the caller grew
   * a version 3 file: new records all zero, empty); the version and checksum are then written and
   * persisted in one block.
   */
  upgradeVersion(): void {
    this.buffer.writeUInt32LE(FORMAT_VERSION, META_VERSION_OFFSET);
    this.buffer.writeUInt32LE(metaChecksum(this.buffer), META_CHECKSUM_OFFSET);
    this.files.persist(this.buffer, 0, META_BLOCK_SIZE);
  }

  /** The stamp of the last open in durability 'log' (0: the last open was in another mode). */
  get logStamp(): number {
    return this.buffer.readUInt32LE(META_LOG_STAMP_OFFSET);
  }

  /** Writes the log stamp (FORMAT.md, "Log"), checksummed and persisted with the block. */
  setLogStamp(stamp: number): void {
    this.buffer.writeUInt32LE(stamp, META_LOG_STAMP_OFFSET);
    this.buffer.writeUInt32LE(metaChecksum(this.buffer), META_CHECKSUM_OFFSET);
    this.files.persist(this.buffer, 0, META_BLOCK_SIZE);
  }

  /** Writes a fresh metadata block into a new, zeroed file. */
  initialize(bucketsPerPage: number): void {
    this.buffer.write(METADATA_MAGIC, META_MAGIC_OFFSET, 'latin1');
    this.buffer.writeUInt32LE(FORMAT_VERSION, META_VERSION_OFFSET);
    this.buffer.writeUInt32LE(bucketsPerPage, META_BUCKETS_PER_PAGE_OFFSET);
    this.buffer.writeUInt32LE(BUCKET_KV_SLOTS, META_KV_SLOTS_OFFSET);
    this.writeBlock(1, 0);
  }

  /** Changes maxFileId and globalDepth as one crash-atomic step (log, write, clear). */
  commit(maxFileId: number, globalDepth: number): void {
    this.beginLog(LogOp.Metadata, maxFileId, globalDepth, 0, 0, 0, 0);
    this.writeBlock(maxFileId, globalDepth);
    this.endLog();
  }

  private writeBlock(maxFileId: number, globalDepth: number): void {
    const b = this.buffer;
    b.writeUInt32LE(maxFileId, META_MAX_FILE_ID_OFFSET);
    b.writeUInt32LE(globalDepth, META_GLOBAL_DEPTH_OFFSET);
    b.writeUInt32LE(2 ** globalDepth, META_CATALOG_SIZE_OFFSET);
    b.writeUInt32LE(metaChecksum(b), META_CHECKSUM_OFFSET);
    this.files.persist(b, 0, META_BLOCK_SIZE);
  }

  /**
   * Logs an operation: arguments first, then op, then the checksum that makes it valid. The
   * arguments are those of the op's row in FORMAT.md's operation table, in order (unused ones
   * 0); six positional numbers rather than an array, so that an update allocates nothing.
   * The record is persisted before this returns.
   */
  beginLog(op: LogOp, arg0: number, arg1: number, arg2: number, arg3: number, arg4: number, arg5: number): void {
    const w = this.words;
    w[this.argsWord] = arg0;
    w[this.argsWord + 1] = arg1;
    w[this.argsWord + 2] = arg2;
    w[this.argsWord + 3] = arg3;
    w[this.argsWord + 4] = arg4;
    w[this.argsWord + 5] = arg5;
    w[this.opWord] = op;
    w[this.checksumWord] = logChecksum(this.buffer, this.slot);
    this.files.persist(this.buffer, logOffset(this.slot), LOG_RECORD_SIZE);
  }

  /** Clears the log record: its checksum first, so that a torn clear is never a valid record. */
  endLog(): void {
    const w = this.words;
    w[this.checksumWord] = 0;
    w[this.opWord] = LogOp.None;
    this.files.persist(this.buffer, logOffset(this.slot), LOG_RECORD_SIZE);
  }

  /** Every valid log record, of every slot. */
  pendingLogs(): LogRecord[] {
    return readLogs(this.buffer);
  }
}

// pm_ehash_metadata: the metadata block (magic, version, geometry, maxFileId, globalDepth) and
// the single operation log record that makes multi-step changes redoable after a crash.
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
  META_MAGIC_OFFSET,
  META_MAX_FILE_ID_OFFSET,
  META_VERSION_OFFSET,
  METADATA_FILE_SIZE,
  METADATA_MAGIC,
  WORD,
} from '../include-types/layout';
import { fnv1a32 } from './checksum';
import { PmEHashCorruptError, PmEHashVersionError } from './errors';
import { METADATA_FILE } from './files';
import type { StoreFiles } from './mapped-files';

const LOG_WORD = LOG_OFFSET / WORD;
const LOG_OP_WORD = LOG_WORD + LOG_OP_OFFSET / WORD;
const LOG_ARGS_WORD = LOG_WORD + LOG_ARGS_OFFSET / WORD;
const LOG_CHECKSUM_WORD = LOG_WORD + LOG_CHECKSUM_OFFSET / WORD;

/** A log record as read back: its op and arguments. */
export interface LogRecord {
  op: LogOp;
  args: number[];
}

function logChecksum(bytes: Uint8Array): number {
  // Never 0, so that a cleared record (checksum 0) can never look valid.
  return fnv1a32(bytes, LOG_OFFSET, LOG_OFFSET + LOG_CHECKSUM_OFFSET) || 1;
}

function metaChecksum(bytes: Uint8Array): number {
  return fnv1a32(bytes, 0, META_CHECKSUM_OFFSET);
}

/** The valid log record in `bytes`, or undefined when there is none (cleared or torn). */
export function readLog(bytes: Buffer): LogRecord | undefined {
  const op = bytes.readUInt32LE(LOG_OFFSET + LOG_OP_OFFSET);
  if (op === LogOp.None) return undefined;
  if (bytes.readUInt32LE(LOG_OFFSET + LOG_CHECKSUM_OFFSET) !== logChecksum(bytes)) return undefined;
  const args: number[] = [];
  for (let i = 0; i < LOG_ARG_COUNT; i++) args.push(bytes.readUInt32LE(LOG_OFFSET + LOG_ARGS_OFFSET + i * WORD));
  return { op: op as LogOp, args };
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
  if (bytes.length !== METADATA_FILE_SIZE) {
    fail(`size is ${bytes.length} bytes, expected ${METADATA_FILE_SIZE}`);
  }
  if (bytes.toString('latin1', META_MAGIC_OFFSET, META_MAGIC_OFFSET + 8) !== METADATA_MAGIC) {
    fail('bad magic: not a pmehash metadata file');
  }
  const version = bytes.readUInt32LE(META_VERSION_OFFSET);
  if (version !== FORMAT_VERSION) throw new PmEHashVersionError(METADATA_FILE, version, FORMAT_VERSION, dir);
  const log = readLog(bytes);
  const pending = log?.op === LogOp.Metadata;
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

/** The mapped metadata file. */
export class MetadataFile {
  private readonly words: Uint32Array;

  constructor(
    readonly buffer: Buffer,
    private readonly files: StoreFiles,
  ) {
    this.words = new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / WORD);
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
    w[LOG_ARGS_WORD] = arg0;
    w[LOG_ARGS_WORD + 1] = arg1;
    w[LOG_ARGS_WORD + 2] = arg2;
    w[LOG_ARGS_WORD + 3] = arg3;
    w[LOG_ARGS_WORD + 4] = arg4;
    w[LOG_ARGS_WORD + 5] = arg5;
    w[LOG_OP_WORD] = op;
    w[LOG_CHECKSUM_WORD] = logChecksum(this.buffer);
    this.files.persist(this.buffer, LOG_OFFSET, LOG_RECORD_SIZE);
  }

  /** Clears the log record: its checksum first, so that a torn clear is never a valid record. */
  endLog(): void {
    const w = this.words;
    w[LOG_CHECKSUM_WORD] = 0;
    w[LOG_OP_WORD] = LogOp.None;
    this.files.persist(this.buffer, LOG_OFFSET, LOG_RECORD_SIZE);
  }

  pendingLog(): LogRecord | undefined {
    return readLog(this.buffer);
  }
}

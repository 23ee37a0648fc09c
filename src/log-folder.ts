// Durability 'log', the reader (FORMAT.md, "Log"): what the log folder holds, read and checked
// without changing anything: the log state, the newest snapshot, and the frames of the segments
// after it. A file that does not check is refused with its name and the offset of the problem,
// except the torn end of the last segment, which a power loss leaves and replay stops at.

import * as fs from 'node:fs';
import * as layout from '../include-types/layout';
import { BatchOp } from '../include-types/layout';
import { BATCH_ENTRY_WORDS, type BatchEffects } from './batch-record';
import { wordChecksum } from './checksum';
import { PmEHashCorruptError } from './errors';
import {
  filePath,
  isIgnoredName,
  LOG_STATE_FILE,
  PARTIAL_SUFFIX,
  segmentFileName,
  segmentGen,
  snapshotFileName,
  snapshotGen,
} from './files';
import type { StoreFiles } from './store-files';
import { frameChecksum } from './op-log';

const {
  LOG_FRAME_COUNT_OFFSET,
  LOG_FRAME_FLAGS_OFFSET,
  LOG_FRAME_FLAG_CLEAR,
  LOG_FRAME_HEADER_SIZE,
  LOG_FRAME_MAGIC,
  LOG_FRAME_MAGIC_OFFSET,
  LOG_FRAME_CHECKSUM_OFFSET,
  LOG_STATE_BOOT_ID_OFFSET,
  LOG_STATE_BOOT_ID_SIZE,
  LOG_STATE_CHECKSUM_OFFSET,
  LOG_STATE_FLAGS_OFFSET,
  LOG_STATE_MAGIC,
  LOG_STATE_MAGIC_OFFSET,
  LOG_STATE_SIZE,
  LOG_STATE_STAMP_OFFSET,
  SNAPSHOT_CHECKSUM_OFFSET,
  SNAPSHOT_COUNT_OFFSET,
  SNAPSHOT_GEN_OFFSET,
  SNAPSHOT_HEADER_SIZE,
  SNAPSHOT_MAGIC,
  SNAPSHOT_MAGIC_OFFSET,
  SNAPSHOT_PAIR_SIZE,
  WORD,
} = layout;

/** The log state file's contents. */
export interface LogState {
  flags: number;
  /** The boot id of the open that wrote it (LOG_STATE_BOOT_ID_SIZE bytes). */
  bootId: Buffer;
  /** The stamp that open wrote into the image's metadata too. */
  stamp: number;
}

/** What a log folder holds. */
export interface LogFolder {
  state: LogState | undefined;
  /** The newest snapshot's gen; 0 when there is none. */
  snapshot: number;
  /** The segments to replay after the snapshot, ascending and contiguous. */
  segments: number[];
  /** Files left by a checkpoint that finished or was cut short: older snapshots and segments, partial snapshots. */
  leftovers: string[];
}

/** The current boot's id (PMEHASH_TEST_BOOT_ID stands in for it in tests); zeros where none is known. */
export function currentBootId(): Buffer {
  let text = process.env.PMEHASH_TEST_BOOT_ID;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      return Buffer.alloc(LOG_STATE_BOOT_ID_SIZE);
    }
  }
  const id = Buffer.alloc(LOG_STATE_BOOT_ID_SIZE);
  Buffer.from(text.replace(/[^0-9a-f]/gi, '').padEnd(2 * LOG_STATE_BOOT_ID_SIZE, '0'), 'hex').copy(id);
  return id;
}

/** A copy of `bytes` as words (a Buffer read from a file need not be 4-byte aligned). */
function asWords(bytes: Buffer): Uint32Array {
  const words = new Uint32Array(Math.floor(bytes.length / WORD));
  new Uint8Array(words.buffer).set(bytes.subarray(0, words.length * WORD));
  return words;
}

/** The bytes of a log state with these flags, boot id and stamp. */
export function encodeLogState(flags: number, bootId: Buffer, stamp: number): Buffer {
  const b = Buffer.alloc(LOG_STATE_SIZE);
  b.writeUInt32LE(LOG_STATE_MAGIC, LOG_STATE_MAGIC_OFFSET);
  b.writeUInt32LE(flags, LOG_STATE_FLAGS_OFFSET);
  bootId.copy(b, LOG_STATE_BOOT_ID_OFFSET, 0, LOG_STATE_BOOT_ID_SIZE);
  b.writeUInt32LE(stamp, LOG_STATE_STAMP_OFFSET);
  b.writeUInt32LE(
    wordChecksum(asWords(b), LOG_STATE_FLAGS_OFFSET / WORD, LOG_STATE_CHECKSUM_OFFSET / WORD),
    LOG_STATE_CHECKSUM_OFFSET,
  );
  return b;
}

function readLogState(files: StoreFiles, dir: string): LogState | undefined {
  const file = filePath(dir, LOG_STATE_FILE);
  if (!files.exists(file)) return undefined;
  const b = files.read(file);
  const corrupt = (problem: string) => new PmEHashCorruptError(LOG_STATE_FILE, problem, { dir });
  if (b.length !== LOG_STATE_SIZE) throw corrupt(`${b.length} bytes, not ${LOG_STATE_SIZE}`);
  if (b.readUInt32LE(LOG_STATE_MAGIC_OFFSET) !== LOG_STATE_MAGIC) throw corrupt('not a log state (bad magic)');
  const sum = wordChecksum(asWords(b), LOG_STATE_FLAGS_OFFSET / WORD, LOG_STATE_CHECKSUM_OFFSET / WORD);
  if (sum !== b.readUInt32LE(LOG_STATE_CHECKSUM_OFFSET)) throw corrupt('does not match its checksum');
  const bootId = Buffer.from(b.subarray(LOG_STATE_BOOT_ID_OFFSET, LOG_STATE_BOOT_ID_OFFSET + LOG_STATE_BOOT_ID_SIZE));
  return { flags: b.readUInt32LE(LOG_STATE_FLAGS_OFFSET), bootId, stamp: b.readUInt32LE(LOG_STATE_STAMP_OFFSET) };
}

/** Lists and checks the log folder `dir` (which exists); refuses files that are not the log's. */
export function scanLogFolder(files: StoreFiles, dir: string): LogFolder {
  const snapshots: number[] = [];
  const segments: number[] = [];
  const leftovers: string[] = [];
  for (const { name, isFile } of files.list(dir)) {
    if (!isFile || isIgnoredName(name) || name === LOG_STATE_FILE) continue;
    if (snapshotGen(name) > 0) snapshots.push(snapshotGen(name));
    else if (segmentGen(name) > 0) segments.push(segmentGen(name));
    else if (name.endsWith(PARTIAL_SUFFIX) && snapshotGen(name.slice(0, -PARTIAL_SUFFIX.length)) > 0)
      leftovers.push(name);
    else throw new PmEHashCorruptError(name, 'not a pmehash log file: the log folder holds something else', { dir });
  }
  const snapshot = Math.max(0, ...snapshots);
  for (const gen of snapshots) if (gen < snapshot) leftovers.push(snapshotFileName(gen));
  // Without a snapshot, segments are left by a first checkpoint or a destruction cut short:
  // nothing was logged in them that the image does not hold.
  for (const gen of segments) if (gen < snapshot || snapshot === 0) leftovers.push(segmentFileName(gen));
  const replay = segments.filter((gen) => gen >= snapshot && snapshot > 0).sort((a, b) => a - b);
  replay.forEach((gen, i) => {
    if (gen !== snapshot + i) {
      throw new PmEHashCorruptError(
        segmentFileName(snapshot + i),
        `log segment missing (found ${segmentFileName(gen)})`,
        {
          dir,
        },
      );
    }
  });
  return { state: readLogState(files, dir), snapshot, segments: replay, leftovers };
}

/** The checksum of a snapshot's words: its pairs, then its count and gen. */
function snapshotChecksum(words: Uint32Array): number {
  return headerChecksum(words, wordChecksum(words, SNAPSHOT_HEADER_SIZE / WORD, words.length));
}

/** A snapshot's checksum from the checksum of its pairs, continued over its count and gen. */
function headerChecksum(header: Uint32Array, pairs: number): number {
  return wordChecksum(header, SNAPSHOT_COUNT_OFFSET / WORD, SNAPSHOT_CHECKSUM_OFFSET / WORD, pairs);
}

/**
 * Fills in the header of snapshot `gen` (in the first SNAPSHOT_HEADER_SIZE bytes of `header`)
 * for `count` pairs whose wordChecksum is `pairs`: a checkpoint works that out as it gathers
 * them, so the header is written last.
 */
export function sealSnapshotHeader(header: Uint32Array, count: number, gen: number, pairs: number): void {
  header[SNAPSHOT_MAGIC_OFFSET / WORD] = SNAPSHOT_MAGIC;
  header[SNAPSHOT_COUNT_OFFSET / WORD] = count;
  header[SNAPSHOT_GEN_OFFSET / WORD] = gen;
  header[SNAPSHOT_CHECKSUM_OFFSET / WORD] = headerChecksum(header, pairs);
}

/** The pairs of snapshot `gen`, as words (key low, key high, value low, value high per pair). */
export function readSnapshot(files: StoreFiles, dir: string, gen: number): Uint32Array {
  const name = snapshotFileName(gen);
  const corrupt = (problem: string) => new PmEHashCorruptError(name, problem, { dir });
  const words = asWords(files.read(filePath(dir, name)));
  if (words.length < SNAPSHOT_HEADER_SIZE / WORD) throw corrupt('shorter than its header');
  if (words[SNAPSHOT_MAGIC_OFFSET / WORD] !== SNAPSHOT_MAGIC) throw corrupt('not a snapshot (bad magic at offset 0)');
  const count = words[SNAPSHOT_COUNT_OFFSET / WORD];
  const end = (SNAPSHOT_HEADER_SIZE + count * SNAPSHOT_PAIR_SIZE) / WORD;
  if (words[SNAPSHOT_GEN_OFFSET / WORD] !== gen)
    throw corrupt(`its header says gen ${words[SNAPSHOT_GEN_OFFSET / WORD]}`);
  if (end !== words.length)
    throw corrupt(`${count} pairs need ${end * WORD} bytes, the file has ${words.length * WORD}`);
  if (snapshotChecksum(words) !== words[SNAPSHOT_CHECKSUM_OFFSET / WORD]) throw corrupt('does not match its checksum');
  return words.subarray(SNAPSHOT_HEADER_SIZE / WORD);
}

/** Where replay of a segment stopped short: a frame that did not check, at the end of the log. */
export interface TornEnd {
  segment: string;
  offset: number;
  problem: string;
}

/**
 * Calls `apply` with each frame's effects of the segments `gens`, in order. A frame that does
 * not check ends replay; in the last segment that is where a power loss cut the log (returned),
 * in an earlier one (made durable before the next began) it is damage: refused.
 */
export function replaySegments(
  files: StoreFiles,
  dir: string,
  gens: number[],
  apply: (effects: BatchEffects) => void,
): TornEnd | undefined {
  for (let i = 0; i < gens.length; i++) {
    const name = segmentFileName(gens[i]);
    const words = asWords(files.read(filePath(dir, name)));
    const torn = replaySegment(words, apply);
    if (torn === undefined) continue;
    if (i < gens.length - 1) throw new PmEHashCorruptError(name, `${torn.problem} at offset ${torn.offset}`, { dir });
    return { segment: name, ...torn };
  }
  return undefined;
}

function replaySegment(
  words: Uint32Array,
  apply: (effects: BatchEffects) => void,
): { offset: number; problem: string } | undefined {
  const headerWords = LOG_FRAME_HEADER_SIZE / WORD;
  let at = 0;
  while (at < words.length) {
    const offset = at * WORD;
    const magic = words[at + LOG_FRAME_MAGIC_OFFSET / WORD];
    if (magic === 0 && words.subarray(at).every((w) => w === 0)) return undefined; // zeros: the end
    if (magic !== LOG_FRAME_MAGIC) return { offset, problem: 'not a log frame (bad magic)' };
    if (at + headerWords > words.length) return { offset, problem: 'frame header cut short' };
    const count = words[at + LOG_FRAME_COUNT_OFFSET / WORD];
    const flags = words[at + LOG_FRAME_FLAGS_OFFSET / WORD];
    const end = at + headerWords + count * BATCH_ENTRY_WORDS;
    if (end > words.length) return { offset, problem: `frame of ${count} entries cut short` };
    const frame = words.subarray(at, end);
    if (frameChecksum(frame, count) !== frame[LOG_FRAME_CHECKSUM_OFFSET / WORD])
      return { offset, problem: 'frame does not match its checksum' };
    if ((flags & ~LOG_FRAME_FLAG_CLEAR) !== 0) return { offset, problem: `frame has unknown flags ${flags}` };
    const entries = frame.subarray(headerWords);
    for (let e = BATCH_ENTRY_WORDS - 1; e < entries.length; e += BATCH_ENTRY_WORDS) {
      if (entries[e] !== BatchOp.Put && entries[e] !== BatchOp.Del)
        return { offset, problem: `frame entry with unknown operation ${entries[e]}` };
    }
    apply({ words: entries, count, clear: (flags & LOG_FRAME_FLAG_CLEAR) !== 0 });
    at = end;
  }
  return undefined;
}

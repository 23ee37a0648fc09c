// Data page files `1`, `2`, ...: a bitmap of used bucket slots followed by the bucket slots.
// DataPages maps each page file once and translates between pm_address (fileId, offset)
// and mapped memory (the page's Uint32Array view + word index), the analogue of the course's
// pmAddr2vAddr / vAddr2pmAddr. It also numbers bucket slots with dense ids, the order in which they are allocated.

import { BUCKET_SIZE, PAGE_HEADER_ALIGN, WORD } from '../include-types/layout';
import { filePath, pageFileName } from './files';
import type { StoreFiles } from './store-files';

/** Byte size of the page header (slot bitmap, padded) for a page of `bucketsPerPage` slots. */
export function pageHeaderSize(bucketsPerPage: number): number {
  const bitmapBytes = Math.ceil(bucketsPerPage / 32) * WORD;
  return Math.ceil(bitmapBytes / PAGE_HEADER_ALIGN) * PAGE_HEADER_ALIGN;
}

export function pageFileSize(bucketsPerPage: number): number {
  return pageHeaderSize(bucketsPerPage) + bucketsPerPage * BUCKET_SIZE;
}

const EMPTY = new Uint32Array(0);

export class DataPages {
  readonly headerSize: number;
  readonly pageSize: number;
  /** Mapped page buffers by file id (index 0 is unused). */
  private readonly buffers: Buffer[] = [];
  /** Uint32Array views of the page files by file id: the hot path reads buckets through these. */
  readonly words: Uint32Array[] = [EMPTY];

  constructor(
    private readonly dir: string,
    readonly bucketsPerPage: number,
    private readonly files: StoreFiles,
  ) {
    this.headerSize = pageHeaderSize(bucketsPerPage);
    this.pageSize = pageFileSize(bucketsPerPage);
  }

  /** Number of mapped page files; their ids are 1 .. pageCount. */
  get pageCount(): number {
    return this.words.length - 1;
  }

  /** Whether (fileId, offset) is the start of a bucket slot in a mapped page. */
  isBucketAddress(fileId: number, offset: number): boolean {
    return (
      fileId >= 1 &&
      fileId <= this.pageCount &&
      offset >= this.headerSize &&
      offset < this.pageSize &&
      (offset - this.headerSize) % BUCKET_SIZE === 0
    );
  }

  bucketOffset(slot: number): number {
    return this.headerSize + slot * BUCKET_SIZE;
  }

  slotOf(offset: number): number {
    return (offset - this.headerSize) / BUCKET_SIZE;
  }

  /** Dense id of a bucket slot: (fileId-1) * bucketsPerPage + slot. */
  bucketId(fileId: number, offset: number): number {
    return (fileId - 1) * this.bucketsPerPage + this.slotOf(offset);
  }

  fileIdOfBucket(id: number): number {
    return Math.floor(id / this.bucketsPerPage) + 1;
  }

  offsetOfBucket(id: number): number {
    return this.bucketOffset(id % this.bucketsPerPage);
  }

  /** Maps existing page file `fileId` (ids are mapped in order, 1 first). */
  mapPage(fileId: number): void {
    this.add(fileId, this.files.map(filePath(this.dir, pageFileName(fileId))));
  }

  /** Creates page file `fileId`, all slots free, and maps it. */
  createPage(fileId: number): void {
    this.add(fileId, this.files.create(filePath(this.dir, pageFileName(fileId)), this.pageSize));
  }

  /** Unmaps page `fileId`, the last one mapped (a page file whose making failed half-way). */
  dropLastPage(fileId: number): void {
    if (fileId !== this.pageCount) return;
    this.words.pop();
    this.files.release(this.buffers.pop()!);
  }

  private add(fileId: number, buffer: Buffer): void {
    if (fileId !== this.words.length) throw new Error(`page ${fileId} mapped out of order`);
    this.buffers.push(buffer);
    this.words.push(new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / WORD));
  }

  isUsed(fileId: number, slot: number): boolean {
    return (this.words[fileId][slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  /**
   * The id of the first free bucket slot (page bitmap bit clear) in [from, to), or -1. Reads a
   * bitmap word (32 slots) at a time.
   */
  firstFreeSlot(from: number, to: number): number {
    let id = from;
    while (id < to) {
      const fileId = this.fileIdOfBucket(id);
      const pageStart = (fileId - 1) * this.bucketsPerPage;
      const slot = id - pageStart;
      const bit = slot & 31;
      const free = ~this.words[fileId][slot >>> 5] & (-1 << bit);
      if (free !== 0) {
        const found = slot - bit + (31 - Math.clz32(free & -free));
        if (found < this.bucketsPerPage) return pageStart + found < to ? pageStart + found : -1;
      }
      id = Math.min(id + 32 - bit, pageStart + this.bucketsPerPage);
    }
    return -1;
  }

  /** Sets or clears a slot's bit in its page bitmap and persists the word. */
  setUsed(fileId: number, slot: number, used: boolean): void {
    const w = this.words[fileId];
    const i = slot >>> 5;
    const bit = 1 << (slot & 31);
    w[i] = used ? w[i] | bit : w[i] & ~bit;
    this.files.persist(this.buffers[fileId - 1], i * WORD, WORD);
  }

  /** Persists a whole mapped bucket (used when a new bucket is filled before it is published). */
  persistBucket(fileId: number, offset: number): void {
    this.files.persist(this.buffers[fileId - 1], offset, BUCKET_SIZE);
  }

  /** Persists `length` bytes at `offset` of page `fileId`. */
  persistRange(fileId: number, offset: number, length: number): void {
    this.files.persist(this.buffers[fileId - 1], offset, length);
  }

  flush(): void {
    for (const b of this.buffers) this.files.persistAll(b);
  }

  /** After close: gives back the resident pages of every mapping. */
  release(): void {
    for (const b of this.buffers) this.files.release(b);
  }
}

// A power-loss simulator: a double of the mapped-file layer (src/mapped-files.ts) that keeps,
// for every file, the bytes the program sees and apart from them the bytes that are durable, in
// the spirit of PMDK's pmreorder and SQLite's crash-test VFS. The store runs on it unchanged, in
// durability 'sync'.
//
// The model:
// - A persist makes durable the units it covers, where a unit is a 4096-byte page (msync after
//   an OS crash) or a 64-byte cache line (a flush on persistent memory). Units written since
//   they were last made durable may each reach the medium or not, in any combination.
// - Creating or resizing a file fsyncs it (as MappedFiles does in 'sync' mode): its size and
//   every byte written so far become durable.
// - Names (create, remove, rename) become durable at syncFolder. The ones made since reach the
//   medium in the order they were made, like a journaling file system's metadata: a crash keeps
//   a prefix of them.
// A crash image is the durable files plus a choice of the rest. `onPersist` runs at the start of
// every persist, before it takes effect: the moment the most writes are in flight.

import * as path from 'node:path';
import type { FolderEntry, StoreFiles } from '../../src/store-files';
import type { Random } from './random';

export type Granularity = 'page' | 'line';
export const UNIT_BYTES: Record<Granularity, number> = { page: 4096, line: 64 };

/** A crash image: file name -> contents. */
export type Image = Map<string, Buffer>;

interface Inode {
  /** What the program sees (its mapping). */
  data: Buffer;
  /** What is on the medium. Always as long as `data`: sizes are fsynced when they change. */
  durable: Buffer;
}

type NameOp =
  | { op: 'link'; name: string; inode: Inode }
  | { op: 'unlink'; name: string }
  | { op: 'rename'; from: string; to: string };

/** How many crash images to build from one moment. */
export interface ImageBudget {
  /** Every subset of the undecided units when there are at most this many. */
  allSubsetsUpTo: number;
  /** Otherwise this many random subsets, plus none and all. */
  randomSubsets: number;
}

export class SimulatedFiles implements StoreFiles {
  readonly sync = true;
  /** Runs at the start of every persist (tests build crash images there). */
  onPersist: (() => void) | undefined;
  persists = 0;
  private readonly names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private pending: NameOp[] = [];
  private readonly inodeOf = new WeakMap<Buffer, Inode>();

  /** A folder holding `image` (all of it durable), or an empty one. */
  constructor(
    readonly granularity: Granularity,
    image?: Image,
  ) {
    for (const [name, bytes] of image ?? []) {
      const inode = { data: Buffer.from(bytes), durable: Buffer.from(bytes) };
      this.inodeOf.set(inode.data, inode);
      this.names.set(name, inode);
    }
    this.durableNames = new Map(this.names);
  }

  // ---- StoreFiles -------------------------------------------------------------------------

  list(): FolderEntry[] {
    return [...this.names.keys()].map((name) => ({ name, isFile: true }));
  }

  exists(file: string): boolean {
    return this.names.has(path.basename(file));
  }

  size(file: string): number {
    return this.inode(file).data.length;
  }

  read(file: string): Buffer {
    return Buffer.from(this.inode(file).data);
  }

  map(file: string): Buffer {
    return this.inode(file).data;
  }

  create(file: string, size: number): Buffer {
    const name = path.basename(file);
    const existing = this.names.get(name);
    const inode = existing ?? { data: Buffer.alloc(0), durable: Buffer.alloc(0) };
    inode.data = Buffer.alloc(size);
    inode.durable = Buffer.alloc(size);
    this.inodeOf.set(inode.data, inode);
    if (!existing) this.nameOp({ op: 'link', name, inode });
    return inode.data;
  }

  resize(file: string, size: number): Buffer {
    const inode = this.inode(file);
    const data = Buffer.alloc(size);
    inode.data.copy(data, 0, 0, Math.min(size, inode.data.length));
    inode.data = data;
    inode.durable = Buffer.from(data); // ftruncate + fsync: the whole file is durable
    this.inodeOf.set(data, inode);
    return data;
  }

  remove(file: string): void {
    const name = path.basename(file);
    if (this.names.has(name)) this.nameOp({ op: 'unlink', name });
  }

  rename(from: string, to: string): void {
    this.inode(from);
    this.nameOp({ op: 'rename', from: path.basename(from), to: path.basename(to) });
  }

  syncFolder(): void {
    this.durableNames = new Map(this.names);
    this.pending = [];
  }

  persist(buffer: Buffer, offset: number, length: number): void {
    this.onPersist?.();
    this.persists++;
    const inode = this.inodeOf.get(buffer);
    if (!inode || inode.data !== buffer) throw new Error('persist of a buffer that is not a live mapping');
    const unit = UNIT_BYTES[this.granularity];
    const start = offset - (offset % unit);
    const end = Math.min(inode.data.length, Math.ceil((offset + length) / unit) * unit);
    inode.data.copy(inode.durable, start, start, end);
  }

  persistAll(buffer: Buffer): void {
    const inode = this.inodeOf.get(buffer);
    if (inode && inode.data === buffer) inode.data.copy(inode.durable);
  }

  release(): void {
    // Nothing to give back.
  }

  makeFolder(): void {
    // One flat folder of names.
  }

  syncLogFolder(): void {
    this.syncFolder();
  }

  writeAt(file: string, data: Uint8Array, offset: number): void {
    const name = path.basename(file);
    let inode = this.names.get(name);
    if (!inode) {
      inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0) };
      this.nameOp({ op: 'link', name, inode });
    }
    if (inode.data.length < offset + data.length) {
      const grown = Buffer.alloc(offset + data.length);
      inode.data.copy(grown);
      const durable = Buffer.alloc(grown.length);
      inode.durable.copy(durable);
      inode.data = grown;
      inode.durable = durable;
    }
    inode.data.set(data, offset);
  }

  syncFile(file: string): void {
    const inode = this.inode(file);
    inode.data.copy(inode.durable);
  }

  shrinkFile(file: string, size: number): void {
    const inode = this.inode(file);
    inode.data = Buffer.from(inode.data.subarray(0, size));
    inode.durable = Buffer.from(inode.durable.subarray(0, size));
  }

  // ---- crash images -----------------------------------------------------------------------

  /** What a process death leaves: everything written, whether persisted or not. */
  processDeathImage(): Image {
    const image: Image = new Map();
    for (const [name, inode] of this.names) image.set(name, Buffer.from(inode.data));
    return image;
  }

  /**
   * What a power loss can leave: for each prefix of the name changes not yet durable, the
   * durable bytes plus subsets of the units written but not yet persisted (all of them when
   * few, else random ones plus none and all).
   */
  powerLossImages(rnd: Random, budget: ImageBudget): Image[] {
    const images: Image[] = [];
    for (let k = 0; k <= this.pending.length; k++) {
      const names = this.namesAfter(k);
      const units: Array<{ inode: Inode; start: number; end: number }> = [];
      const unit = UNIT_BYTES[this.granularity];
      for (const inode of new Set(names.values())) {
        for (let start = 0; start < inode.data.length; start += unit) {
          const end = Math.min(start + unit, inode.data.length);
          if (inode.data.compare(inode.durable, start, end, start, end) !== 0) units.push({ inode, start, end });
        }
      }
      const build = (chosen: (i: number) => boolean): Image => {
        const copies = new Map<Inode, Buffer>();
        for (const inode of new Set(names.values())) copies.set(inode, Buffer.from(inode.durable));
        units.forEach((u, i) => {
          if (chosen(i)) u.inode.data.copy(copies.get(u.inode)!, u.start, u.start, u.end);
        });
        const image: Image = new Map();
        for (const [name, inode] of names) image.set(name, copies.get(inode)!);
        return image;
      };
      if (units.length <= budget.allSubsetsUpTo) {
        for (let mask = 0; mask < 1 << units.length; mask++) images.push(build((i) => ((mask >>> i) & 1) === 1));
      } else {
        images.push(
          build(() => false),
          build(() => true),
        );
        for (let r = 0; r < budget.randomSubsets; r++) {
          const bits = units.map(() => rnd.below(2) === 1);
          images.push(build((i) => bits[i]));
        }
      }
    }
    return images;
  }

  private namesAfter(k: number): Map<string, Inode> {
    const names = new Map(this.durableNames);
    for (const change of this.pending.slice(0, k)) applyNameOp(names, change);
    return names;
  }

  private nameOp(change: NameOp): void {
    applyNameOp(this.names, change);
    this.pending.push(change);
  }

  private inode(file: string): Inode {
    const inode = this.names.get(path.basename(file));
    if (!inode) throw Object.assign(new Error(`ENOENT: no such file, ${file}`), { code: 'ENOENT' });
    return inode;
  }
}

function applyNameOp(names: Map<string, Inode>, change: NameOp): void {
  if (change.op === 'link') names.set(change.name, change.inode);
  else if (change.op === 'unlink') names.delete(change.name);
  else {
    const inode = names.get(change.from);
    if (inode) {
      names.delete(change.from);
      names.set(change.to, inode);
    }
  }
}

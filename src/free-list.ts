// The queue of free bucket slots, as bucket ids (see DataPages.bucketId). Taken from the front,
// returned at the back; rebuilt from the page bitmaps on open. Lives only in memory.

export class FreeList {
  private ring = new Int32Array(1024);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The next free bucket id, or -1 when the queue is empty. */
  take(): number {
    if (this.count === 0) return -1;
    const id = this.ring[this.head];
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    return id;
  }

  put(id: number): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = id;
    this.count++;
  }

  /** Every queued id, front first (for the consistency check). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.head + i) & (this.ring.length - 1)]);
    return out;
  }

  private grow(): void {
    const next = new Int32Array(this.ring.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) & (this.ring.length - 1)];
    this.ring = next;
    this.head = 0;
  }
}

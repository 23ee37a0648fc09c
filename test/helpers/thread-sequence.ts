// The per-thread operation sequence of the multi-threaded crash tests: thread t works on keys
// whose high half is t + 1, so every thread has an oracle of its own, while all threads share
// the buckets. Inserts, then updates of every third key, then removes of every fifth.

export interface ThreadOp {
  kind: 'insert' | 'update' | 'remove';
  lo: number;
  value: number;
}

export function threadSequence(thread: number, inserts: number): ThreadOp[] {
  const ops: ThreadOp[] = [];
  const keyOf = (i: number) => Math.imul(i + 1, 0x9e3779b1) >>> 0;
  for (let i = 0; i < inserts; i++) ops.push({ kind: 'insert', lo: keyOf(i), value: (i * 7 + thread) >>> 0 });
  for (let i = 0; i < inserts; i += 3) ops.push({ kind: 'update', lo: keyOf(i), value: (i * 11 + 1) >>> 0 });
  for (let i = 0; i < inserts; i += 5) ops.push({ kind: 'remove', lo: keyOf(i), value: 0 });
  return ops;
}

/** Thread t's keys (low half -> value) after its first n operations. */
export function threadContentAfter(ops: ThreadOp[], n: number): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op.kind === 'insert') {
      if (!map.has(op.lo)) map.set(op.lo, op.value);
    } else if (op.kind === 'update') {
      if (map.has(op.lo)) map.set(op.lo, op.value);
    } else map.delete(op.lo);
  }
  return map;
}

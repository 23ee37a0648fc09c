// A parsed YCSB workload: operation codes and keys as two uint32 halves, in compact typed
// arrays. The parser makes it; the runner, the READ expectations, the report and the bench read it.

export const OP_INSERT = 0;
export const OP_READ = 1;
export const OP_UPDATE = 2;
export const OP_DELETE = 3;
/** Operation names by code: the keywords of a workload file. */
export const OP_NAMES = ['INSERT', 'READ', 'UPDATE', 'DELETE'] as const;
export type OpName = (typeof OP_NAMES)[number];

export interface Workload {
  file: string;
  /** Number of operations. */
  count: number;
  /** Operation code of each operation (OP_INSERT ...). */
  ops: Uint8Array;
  keyLo: Uint32Array;
  keyHi: Uint32Array;
  /** Size of the file it was parsed from. */
  bytes: number;
}

/** The first `n` operations of `w` (all of them when it has fewer), sharing its arrays. */
export function prefixOf(w: Workload, n: number): Workload {
  const count = Math.min(n, w.count);
  return {
    ...w,
    count,
    ops: w.ops.subarray(0, count),
    keyLo: w.keyLo.subarray(0, count),
    keyHi: w.keyHi.subarray(0, count),
  };
}

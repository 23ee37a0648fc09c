// The course's workload family: names, record and operation counts, operation mix.

export interface WorkloadSpec {
  /** File stem: files are `<name>-load.txt` and `<name>-run.txt`. */
  name: string;
  records: number;
  operations: number;
  /** Shares of the run phase, summing to 1. */
  read: number;
  update: number;
  insert: number;
}

function readInsert(name: string, records: number, operations: number, readPercent: number): WorkloadSpec {
  return { name, records, operations, read: readPercent / 100, update: 0, insert: 1 - readPercent / 100 };
}

export const WORKLOADS: readonly WorkloadSpec[] = [
  { name: '1w-rw-50-50', records: 10_000, operations: 1_000, read: 0.5, update: 0.5, insert: 0 },
  readInsert('10w-rw-0-100', 100_000, 10_000, 0),
  readInsert('10w-rw-25-75', 100_000, 10_000, 25),
  readInsert('10w-rw-50-50', 100_000, 10_000, 50),
  readInsert('10w-rw-75-25', 100_000, 10_000, 75),
  readInsert('10w-rw-100-0', 100_000, 10_000, 100),
  readInsert('220w-rw-50-50', 2_200_000, 350_000, 50),
];

/** The large scale point of `make bench-scale`; generated on demand, not part of `make workload`. */
export const SCALE_WORKLOAD: WorkloadSpec = readInsert('1000w-rw-50-50', 10_000_000, 1_000_000, 50);

export function findWorkload(name: string): WorkloadSpec | undefined {
  return [...WORKLOADS, SCALE_WORKLOAD].find((w) => w.name === name);
}

export const DEFAULT_SEED = 20201122;

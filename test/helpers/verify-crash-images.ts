// Child process of the crash tests: opens each crashed store of a job list in turn and reports
// what it found, so that every open happens in a process that neither crashed nor opened that
// store before. argv: jobs file (JSON Job[]), results file. The oracle is recomputed here from
// the sequence: a store must hold the first `acked` operations, and the one in flight wholly
// or not at all.

import * as fs from 'node:fs';
import { PmEHash } from '../../src';
import { MappedFiles } from '../../src/mapped-files';
import { contentAfter, sequence, SEQUENCES, type SequenceName } from './crash-sequence';

export interface Job {
  dir: string;
  sequence: SequenceName;
  acked: number;
}

export interface Verdict {
  dir: string;
  /** An error thrown by open, if it failed. */
  error?: string;
  repairs: string[];
  /** Persist calls the open (recovery) made. */
  recoveryPersists: number;
  problems: string[];
  /** 'before': the acknowledged operations; 'after': and the one in flight; 'neither'. */
  holds: 'before' | 'after' | 'neither';
  /** Sorted "key value" text of the content, to compare two opens. */
  fingerprint: string;
}

function fingerprint(pairs: Iterable<[bigint, bigint]>): string {
  return [...pairs]
    .map(([k, v]) => `${k} ${v}`)
    .sort()
    .join(',');
}

const [jobsFile, resultsFile] = process.argv.slice(2);
const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8')) as Job[];
const opsOf = new Map<SequenceName, ReturnType<typeof sequence>>();
const verdicts: Verdict[] = [];
for (const job of jobs) {
  if (!opsOf.has(job.sequence)) opsOf.set(job.sequence, sequence(SEQUENCES[job.sequence]));
  const ops = opsOf.get(job.sequence)!;
  const files = new MappedFiles(false);
  let store: PmEHash;
  try {
    store = new PmEHash({ dir: job.dir }, files);
  } catch (err) {
    verdicts.push({
      dir: job.dir,
      error: String(err),
      repairs: [],
      recoveryPersists: 0,
      problems: [],
      holds: 'neither',
      fingerprint: '',
    });
    continue;
  }
  const recoveryPersists = files.persists;
  const content = fingerprint(store.entries());
  const holds =
    content === fingerprint(contentAfter(ops, job.acked))
      ? 'before'
      : job.acked < ops.length && content === fingerprint(contentAfter(ops, job.acked + 1))
        ? 'after'
        : 'neither';
  verdicts.push({
    dir: job.dir,
    repairs: [...store.repairs],
    recoveryPersists,
    problems: store.check(),
    holds,
    fingerprint: content,
  });
  store.close();
}
fs.writeFileSync(resultsFile, JSON.stringify(verdicts));

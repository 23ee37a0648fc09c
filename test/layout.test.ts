// The shape of the source tree: no import cycles, the library never reaches into the YCSB tools
// or the command line, and every file opens with a comment saying what it owns.

import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'include-types'))];

/** Relative imports of a file, as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)]
    .map((m) => path.resolve(path.dirname(file), m[1]))
    .map((p) => (fs.existsSync(`${p}.ts`) ? `${p}.ts` : path.join(p, 'index.ts')));
}

const rel = (p: string): string => path.relative(ROOT, p);

test('the modules of src/ and include-types/ import each other without a cycle', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].map(rel).join(' -> '));
      return;
    }
    state.set(f, 'visiting');
    for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  expect(cycles).toEqual([]);
  expect(graph.size).toBeGreaterThan(20); // the scan did find the tree
});

test('library modules never import the YCSB tools or the command line', () => {
  const library = files.filter((f) => !/[/\\](ycsb|cli)[/\\]/.test(f));
  const offenders = library.flatMap((f) =>
    importsOf(f)
      .filter((g) => /[/\\](ycsb|cli)[/\\]/.test(g))
      .map((g) => `${rel(f)} -> ${rel(g)}`),
  );
  expect(offenders).toEqual([]);
});

test('every source file opens with a comment saying what it owns', () => {
  const silent = files.filter((f) => !/^(#![^\n]*\n)?(\/\/|\/\*)/.test(fs.readFileSync(f, 'utf8'))).map(rel);
  expect(silent).toEqual([]);
});

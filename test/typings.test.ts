// The published typings: declarations are emitted from src/ as `npm run build` emits them
// (tsconfig.build.json, internal members stripped), and a user's program (fixtures/consumer.ts)
// must compile against them as `import ... from 'pmehash'`, while the word-level operations
// meant for the runner must not be visible.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
let declarations: string;

beforeAll(() => {
  declarations = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-dts-'));
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const program = ts.createProgram([path.join(ROOT, 'src', 'index.ts')], {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    sourceMap: false,
    declarationMap: false,
    outDir: declarations,
    rootDir: ROOT,
  });
  const emitted = program.emit();
  expect(emitted.diagnostics).toEqual([]);
});

afterAll(() => fs.rmSync(declarations, { recursive: true, force: true }));

/** Diagnostics of compiling `source` against the emitted declarations as package 'pmehash'. */
function compile(source: string): string[] {
  const file = path.join(declarations, 'consumer.ts');
  fs.writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    baseUrl: declarations,
    paths: { pmehash: [path.join('src', 'index.d.ts')] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('a program using the course API, the Map-style API, batch and `using` compiles against the typings', () => {
  expect(compile(fs.readFileSync(path.join(__dirname, 'fixtures', 'consumer.ts'), 'utf8'))).toEqual([]);
});

test('the unvalidated word-level operations are not in the typings', () => {
  const problems = compile(`import { PmEHash } from 'pmehash';\nnew PmEHash().words.insertWords(1, 2, 3, 4);\n`);
  expect(problems.join('\n')).toMatch(/Property 'words' does not exist/);
  expect(fs.readFileSync(path.join(declarations, 'src', 'pm-ehash.d.ts'), 'utf8')).not.toMatch(/insertWords|words:/);
});

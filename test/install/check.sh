#!/usr/bin/env bash
# `make install-check`: installs pmehash into fresh projects the way a user would, from a clean
# clone's folder and from a tarball made by `npm pack`, and runs the README's example there as
# CommonJS, as an ES module and as TypeScript compiled against the installed typings, plus the
# command line; then once more from the tarball with install scripts disabled (no mmap-io binding:
# the written backend, with its warning). Needs the npm registry (for pmehash's dependencies).
# Prints one line per check.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PMEHASH_DIR= # the default folder is what is being checked
npm_quiet=(--no-audit --no-fund --loglevel=error)

git clone -q "$root" "$work/clone"
(cd "$work/clone" && npm ci "${npm_quiet[@]}" >/dev/null && npm pack --silent >/dev/null)
tarball="$(ls "$work"/clone/pmehash-*.tgz)"

fail() {
  echo "install-check: FAILED: $*" >&2
  exit 1
}

write_examples() {
  cat >example.cjs <<'JS'
const { PmEHash } = require('pmehash');
let store = new PmEHash({ dir: 'data' });
store.insert({ key: 2n ** 64n - 1n, value: 42 });
const out = {};
if (store.search(2n ** 64n - 1n, out) !== 0 || out.value !== 42n) throw new Error('search');
store.set(1n, 10).set(2, 20);
if (store.get(1) !== 10n || !store.delete(2) || store.size !== 2) throw new Error('Map API');
store.close();
store = new PmEHash({ dir: 'data' });
if (store.get(2n ** 64n - 1n) !== 42n) throw new Error('reopen');
store.selfDestory();
console.log('cjs ok');
JS
  cat >example.mjs <<'JS'
import { PmEHash, PmEHashError } from 'pmehash';
const store = new PmEHash({ dir: 'data-esm' });
store.set(7, 8);
if (store.get(7) !== 8n || typeof PmEHashError !== 'function') throw new Error('esm');
store.selfDestory();
console.log('esm ok');
JS
  cat >example.ts <<'TS'
import { PmEHash, type BatchOperation } from 'pmehash';
{
  using store = new PmEHash({ dir: 'data-ts' });
  const ops: BatchOperation[] = [{ type: 'put', key: 3, value: 30 }, { type: 'del', key: 1 }];
  store.batch(ops);
  const value: bigint | undefined = store.get(3);
  if (value !== 30n) throw new Error('ts');
  for (const [k, v] of store) if (k !== 3n || v !== 30n) throw new Error('iterate');
}
console.log('ts ok');
TS
  cat >tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "node16", "moduleResolution": "node16",
  "lib": ["ES2022", "ESNext.Disposable"], "types": ["node"], "outDir": "out" }, "files": ["example.ts"] }
JSON
}

check_project() { # $1: label, $2: what to npm install, $3: the backend expected, $4...: npm install options
  local dir="$work/app-$1"
  mkdir -p "$dir" && cd "$dir"
  npm init -y >/dev/null
  npm install "${npm_quiet[@]}" "${@:4}" "$2" >/dev/null
  npm install "${npm_quiet[@]}" --save-dev typescript@~5.9 @types/node@^20 >/dev/null
  write_examples
  local warning
  echo "$1: $(node example.cjs 2>stderr.txt)"
  warning="$(grep -c PMEHASH_FILE_BACKEND stderr.txt || true)"
  if [ "$3" = file ]; then
    [ "$warning" = 1 ] || fail "$1: no fallback warning on stderr: $(cat stderr.txt)"
    echo "$1: the fallback warned once: $(grep -o 'mmap-io cannot be loaded[^;]*' stderr.txt | head -1)"
  else
    [ "$warning" = 0 ] || fail "$1: a fallback warning with the addon built: $(cat stderr.txt)"
  fi
  echo "$1: $(node example.mjs 2>/dev/null)"
  npx tsc -p tsconfig.json && echo "$1: $(node out/example.js)"
  npx pmehash put 5 6 >/dev/null
  local got version
  got="$(npx pmehash get 5)"
  version="$(npx pmehash --version)"
  [ "$got" = 6 ] || fail "$1: pmehash get printed '$got'"
  case "$version" in "$(node -p "require('pmehash/package.json').version") (backend: $3"[\)\;]*) ;; *) false ;; esac ||
    fail "$1: --version printed '$version', expected the $3 backend"
  echo "$1: cli ok, version $version"
  [ -f pmehash-data/pm_ehash_metadata ] || fail "$1: no store in ./pmehash-data"
  [ ! -e node_modules/pmehash/data/pm_ehash_metadata ] || fail "$1: a store inside the installed package"
  echo "$1: default store in ./pmehash-data, not inside node_modules"
  cd "$work"
}

check_project folder "$work/clone" mmap
check_project tarball "$tarball" mmap
# Install scripts disabled, as npm 11 does until they are allowed: no mmap-io binding is built,
# and the store runs on the written backend, with one warning.
check_project no-scripts "$tarball" file --ignore-scripts
echo "install-check: all passed"

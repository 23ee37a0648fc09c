# pmehash: `make ycsb` runs the main job (the 220w YCSB workload), `make test` the whole suite.
# Every target installs what it needs first.

NPM      ?= npm
NODE     ?= node
WORKLOAD ?= 220w-rw-50-50
THREADS  ?= 1
WARMUP   ?= 0
STAMP    := node_modules/.install-stamp
CLI      := $(NODE) dist/src/cli/main.js
FAMILY   := 1w-rw-50-50 10w-rw-0-100 10w-rw-25-75 10w-rw-50-50 10w-rw-75-25 10w-rw-100-0 220w-rw-50-50

.PHONY: all install install-check build typecheck lint format test ycsb ycsb-all workload crash-test bench bench-scale report clean distclean

all: build

# Install exactly what the lock file says when node_modules is missing or older than it. npm ci
# also runs `prepare`, which builds dist/.
$(STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund
	@touch $@

install: $(STAMP)

build: $(STAMP)
	npx tsc -p tsconfig.build.json

typecheck: $(STAMP)
	npx tsc -p tsconfig.json --noEmit

# Installs the package into fresh projects from a clean clone and from a tarball, and runs the
# README example there as CommonJS, ESM and TypeScript (needs the npm registry; about a minute).
install-check:
	bash test/install/check.sh

# ESLint (typescript-eslint) and Prettier; `make format` rewrites what Prettier would change.
lint: $(STAMP)
	npx eslint .
	npx prettier --check .

format: $(STAMP)
	npx prettier --write .

test: typecheck lint
	npx jest

# The main job: the 220w workload (or WORKLOAD=name) on a fresh store, with its report; THREADS=N
# runs it on N worker threads sharing the store; WARMUP=n first runs n operations of each phase
# on a scratch store, so that the figures are those of compiled code (the report says so).
ycsb: build
	$(CLI) ycsb --workload $(WORKLOAD) --threads $(THREADS) --warm-up $(WARMUP) --check

ycsb-all: build
	@for w in $(FAMILY); do $(CLI) ycsb --workload $$w --check || exit 1; echo; done

# Writes the whole course family into workload/ (files present are kept).
workload: build
	$(CLI) workload

# Longer crash soaks than `make test` runs: 1,500 more crash points, every recovery of every
# crashed store killed, power-loss images with more subsets, 200 random kills, 250 seeds of each
# kind of file damage, 8 seeds of the log's crash test; then damage, reopening and structure
# tests again on the written backend.
crash-test: $(STAMP)
	PMEHASH_SOAK=1 npx jest test/crash-points.test.ts test/power-loss.test.ts test/kill.test.ts test/thread-crash.test.ts test/damage.test.ts test/log.test.ts
	PMEHASH_BACKEND=file npx jest --selectProjects mmap test/damage.test.ts test/reopen.test.ts test/structure.test.ts

# Every contender on the same workload (BENCH_WORKLOAD), in BENCH_RUNS rounds that each run every
# contender once (PmEHash unshared, on 1 and on 2 worker threads among them); the C contender
# (bench/same-layout.c) is compiled first, or skipped without a C compiler. Then BENCH_RUNS
# rounds of PmEHash unshared, 1 and 2 worker threads on BENCH_SCALE (generated into workload/
# when missing; BENCH_SCALE= leaves that section out). Both sections also run the machine's
# reference: 2 worker threads on stores of their own, sharing nothing. Writes bench/RESULTS.md,
# with the thread speed-ups and the thread targets met.
BENCH_WORKLOAD ?= 220w-rw-50-50
BENCH_RUNS ?= 5
BENCH_SCALE ?= 1000w-rw-50-50
bench: build
	$(NODE) dist/bench/bench.js --workload $(BENCH_WORKLOAD) --runs $(BENCH_RUNS) \
		$(if $(BENCH_SCALE),--scale-workload $(BENCH_SCALE),--no-scale) --out bench/RESULTS.md

# PmEHash at 1w, 10w, 220w and 1000w (10M records); writes bench/SCALE.md.
bench-scale: build
	$(NODE) dist/bench/scale.js --out bench/SCALE.md

# The whole family, each workload in a fresh process: a warm-up run, then RUNS timed runs on
# fresh stores; then the thread scaling of THREAD_WORKLOADS (comma-separated; empty: none): a
# warm-up round and RUNS rounds of the unshared single thread, 1 and 2 worker threads, each run
# in a fresh process. report/README.md (median, min, max per phase, speed-ups per round),
# report/ops.svg and report/threads.svg (charts). 1000w-rw-50-50 in THREAD_WORKLOADS adds about
# two minutes.
RUNS ?= 5
THREAD_WORKLOADS ?= 220w-rw-50-50
report: build
	$(NODE) dist/bench/report.js --runs $(RUNS) --thread-workloads '$(if $(THREAD_WORKLOADS),$(THREAD_WORKLOADS),none)'

clean:
	rm -rf dist coverage
	find data -mindepth 1 ! -name .gitkeep -delete

distclean: clean
	rm -rf node_modules

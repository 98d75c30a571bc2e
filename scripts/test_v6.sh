#!/usr/bin/env bash
# The AdonisJS 6 smoke test: the package, packed as npm would publish it, installed into an
# AdonisJS 6 app (tests/v6/app: the web starter kit as `npm init adonisjs -- -K=web
# --db=postgres --auth-guard=session` makes it, on PostgreSQL) and run on the machine's Node:
#   - a plain `npm install` of the app and the tarball (no --legacy-peer-deps: the peer
#     ranges are part of what is checked), with no EBADENGINE warning for what adonis-exo
#     brings (the kit's own are printed as the kit's);
#   - `node ace configure adonis-exo`, checked by what it writes (on AdonisJS 6 it installs
#     and configures @rlanz/bull-queue and @adonisjs/mail 9), then run again to change nothing;
#   - `node ace migration:run` and `tsc --noEmit` in the app;
#   - tests/starters/smoke.mjs: the API, a signed delivery by `exo:work` verified by the
#     `standardwebhooks` package, the dashboard's sign-in, SIGTERM.
#
#   bash scripts/test_v6.sh      (npm run test:v6)
#
# Needs Node 20.6 or later (before 24: the AdonisJS 6 line), Redis on 127.0.0.1:6379 and
# PostgreSQL on 127.0.0.1:5432 (user postgres, password DB_PASSWORD, `postgres` by default;
# `bash scripts/services.sh` starts both), the npm registry, and the repository's npm install.
# The app is copied to a new directory in $TMPDIR (linked from tests/v6/.work/app; out of the
# repository so that it finds nothing in the repository's node_modules) and installed there,
# so each run starts from its committed sources; the database exo_v6 is dropped and created again; the app listens on 3354.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
V6=$ROOT/tests/v6
STARTER=v6
export DB_PASSWORD=${DB_PASSWORD:-postgres}
started=$(date +%s)

step() { echo; echo "== test_v6: $* ($(($(date +%s) - started))s)"; }
fail() { echo "test_v6: FAILED: $*" >&2; exit 1; }
. scripts/lib/starter.sh

node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major >= 20 && (major > 20 || minor >= 6) ? 0 : 1)' \
  || fail "Node $(node --version): AdonisJS 6 needs 20.6 or later"
[ -d node_modules/standardwebhooks ] || fail "no node_modules/standardwebhooks: run npm install first (npm run test:all does)"

step "Build and pack adonis-exo (Node $(node --version))"
starter_pack "$V6"

step "Copy tests/v6/app to a new directory and npm install it with the tarball"
starter_app_dir "$V6/.work"
cp -R "$V6/app/." "$APP"
cp "$APP/.env.example" "$APP/.env"
# configure writes its own config/exo.ts; the smoke test's replaces it once that is checked
rm "$APP/config/exo.ts"
cd "$APP"
starter_install "$TARBALL" "$V6/.work/npm-install.log"

step "Database exo_v6, dropped and created again"
starter_database exo_v6

step "node ace configure adonis-exo"
starter_configure
expect_in adonisrc.ts "() => import('adonis-exo/exo_provider')"
expect_in adonisrc.ts "() => import('adonis-exo/commands')"
expect_in adonisrc.ts "() => import('@adonisjs/mail/mail_provider')"
expect_in adonisrc.ts "() => import('@rlanz/bull-queue/queue_provider')"
expect_in adonisrc.ts "() => import('@rlanz/bull-queue/commands')"
expect_in package.json '"@rlanz/bull-queue": "^3.'
expect_in package.json '"@adonisjs/mail": "^9.'
expect_in config/queue.ts "QUEUE_REDIS_HOST"
expect_in config/mail.ts "smtp"
expect_in config/exo.ts "userModel: () => import('#models/user')"
# bull-queue's config/queue.ts names the Redis: config/exo.ts does not
expect_not_in config/exo.ts "redis: {"
expect_not_in start/env.ts "EXO_REDIS_HOST"
expect_in start/env.ts "EXO_ALLOW_PRIVATE_NETWORKS: Env.schema.boolean.optional()"
expect_in .env "EXO_ALLOW_PRIVATE_NETWORKS=false"
expect_in .env "SMTP_HOST=localhost"
expect_migrations

step "node ace configure adonis-exo, again: nothing changes"
starter_configure_again

# The smoke test's own config/exo.ts: its resource, namespace and short timings
cp "$V6/app/config/exo.ts" config/exo.ts

step "node ace migration:run"
node ace migration:run || fail "node ace migration:run exited with $?"

step "tsc --noEmit in the app: adonis-exo's types against AdonisJS 6's"
npx tsc --noEmit || fail "the app does not type-check"

step "The smoke test (tests/starters/smoke.mjs, Node $(node --version), port 3354)"
SMOKE_PORT=3354 node "$ROOT/tests/starters/smoke.mjs" "$APP" exo_v6

step "passed in $(($(date +%s) - started))s"

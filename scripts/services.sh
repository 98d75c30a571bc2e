#!/usr/bin/env bash
# Installs (Debian packages) and starts what the test suite talks to when it is
# missing: Redis, PostgreSQL and MariaDB on their standard loopback ports, and
# the Chromium the dashboard's browser tests drive.
set -euo pipefail

port_open() {
  node -e "require('net').connect($1, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
}

wait_for_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  echo "Nothing answers on 127.0.0.1:$1 after 30s" >&2
  return 1
}

apt_install() {
  echo "Installing $* from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_redis() {
  port_open 6379 && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for_port 6379
}

ensure_postgres() {
  if ! port_open 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | tail -n 1)" main start
    wait_for_port 5432
  fi
  # A fresh install only lets the postgres role in over the socket; the suite
  # connects over TCP as postgres with the password 'postgres'.
  su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
  su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 ||
    su postgres -c "createdb test"
}

ensure_mariadb() {
  if ! port_open 3306; then
    [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    wait_for_port 3306
  fi
  # A fresh install authenticates root by socket only; the suite uses TCP, no password.
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('')" 2>/dev/null || true
  mariadb -uroot -e "CREATE DATABASE IF NOT EXISTS test" 2>/dev/null || true
}

# The browser tests launch Debian's Chromium through playwright-core: no browser download.
ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# --bench: what `npm run bench` needs, Redis and PostgreSQL
if [ "${1:-}" = "--bench" ]; then
  ensure_redis
  ensure_postgres
  echo "Redis and PostgreSQL are up"
  exit 0
fi

ensure_redis
ensure_postgres
ensure_mariadb
ensure_chromium
echo "Redis, PostgreSQL and MariaDB are up; Chromium is at /usr/bin/chromium"

#!/bin/sh
# A throwaway PostgreSQL cluster for the tests: `tests/pg-cluster.sh start DIR` runs
# initdb in DIR as a non-root user (PostgreSQL refuses to run as root), listens on
# 127.0.0.1 on a free port with its unix socket in DIR, and prints the URL to export as
# DESKBOT_TEST_PG_URL; `tests/pg-cluster.sh stop DIR` stops it and removes DIR.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg-cluster: no PostgreSQL server installed" >&2; exit 1; }
user=${PG_TEST_USER:-pgtest}
as_user() {
  if [ "$(id -u)" = 0 ]; then su -s /bin/sh "$user" -c "$*"; else sh -c "$*"; fi
}
case "${1:-}" in
start)
  dir=$2
  if [ "$(id -u)" = 0 ] && ! id "$user" > /dev/null 2>&1; then
    useradd -r -M -s /usr/sbin/nologin "$user"
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown "$user" "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_user "$bin/initdb -D '$dir/data' -U deskbot --auth=trust -E UTF8 --locale=C.UTF-8 > '$dir/initdb.log' 2>&1"
  as_user "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -t 30 \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c fsync=off\" start > /dev/null"
  echo "$port" > "$dir/port"
  echo "postgres://deskbot@127.0.0.1:$port/postgres"
  ;;
restart)
  as_user "$bin/pg_ctl -D '$2/data' -w -t 30 -m fast restart > /dev/null"
  ;;
stop)
  dir=$2
  [ -d "$dir/data" ] && as_user "$bin/pg_ctl -D '$dir/data' -w -t 30 -m fast stop > /dev/null" || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|restart|stop DIR" >&2
  exit 2
  ;;
esac

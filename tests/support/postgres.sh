#!/usr/bin/env bash
# A throw-away PostgreSQL server from Debian's package, for the metadata-store tests.
#
#   url=$(tests/support/postgres.sh start)      # installs postgresql if needed, prints the URL
#   SAGECRAFT_TEST_POSTGRES_URL=$url .venv/bin/pytest -m postgres
#   tests/support/postgres.sh stop              # stops the cluster started last
#
# The cluster lives in a temp folder (its path is on stderr and in $STATE), listens on a free
# port on 127.0.0.1 only, and has a role `sagecraft` (CREATEDB: the tests make a database per
# module) owning a database `sagecraft`. Progress goes to stderr; stdout carries only the URL.
set -euo pipefail

STATE=${SAGECRAFT_PG_STATE:-${TMPDIR:-/tmp}/sagecraft-postgres.state}
PASSWORD=sagecraft

log() { echo "postgres.sh: $*" >&2; }

as_postgres() {
    # initdb and the server refuse to run as root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        log "installing Debian's postgresql package"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$bin"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local bin dir port
    if [ -f "$STATE" ] && as_postgres "$(sed -n 2p "$STATE")/pg_ctl" -D "$(sed -n 1p "$STATE")/data" status >/dev/null 2>&1; then
        log "already running (data in $(sed -n 1p "$STATE"))"
        sed -n 3p "$STATE"
        return 0
    fi
    bin=$(pg_bin)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sagecraft-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(free_port)
    log "initdb in $dir/data ($bin)"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2
    as_postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE sagecraft LOGIN CREATEDB PASSWORD '$PASSWORD'" \
        -c "CREATE DATABASE sagecraft OWNER sagecraft" >&2
    local url="postgresql+psycopg://sagecraft:$PASSWORD@127.0.0.1:$port/sagecraft"
    printf '%s\n%s\n%s\n' "$dir" "$bin" "$url" >"$STATE"
    log "running on 127.0.0.1:$port, data in $dir; stop with: $0 stop"
    echo "$url"
}

stop() {
    [ -f "$STATE" ] || { log "nothing to stop ($STATE missing)"; return 0; }
    local dir bin
    dir=$(sed -n 1p "$STATE")
    bin=$(sed -n 2p "$STATE")
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir" "$STATE"
    log "stopped and removed $dir"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

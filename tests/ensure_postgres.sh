#!/bin/sh
# Make sure a PostgreSQL server (initdb, pg_ctl) is installed for the tests; `make test` runs this.
#
# The tests start their own temporary server (tests/pg.py); this script only installs Debian's
# `postgresql` package where no server binaries are found. It is quick when they already are.
# Where it cannot install (not root, no apt-get), it says so and leaves the decision to the
# tests: they skip the PostgreSQL cases, or fail when CI is set, because CI must run them.
set -eu

# The server binaries of Debian's versioned package (postgresql-NN), newest first; not on PATH.
debian_initdb() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for pkg in $(dpkg-query -W -f='${db:Status-Status} ${Package}\n' 'postgresql-[0-9]*' 2>/dev/null \
                 | awk '$1 == "installed" {print $2}' | sort -t- -k2 -n -r); do
        dpkg -L "$pkg" 2>/dev/null | grep '/bin/initdb$' | head -n 1
    done | head -n 1
}

find_initdb() {
    found=$(debian_initdb)
    if [ -n "$found" ] && [ -x "$found" ]; then echo "$found"; return 0; fi
    command -v initdb 2>/dev/null || true
}

initdb_bin=$(find_initdb)
if [ -n "$initdb_bin" ] && "$initdb_bin" --version >/dev/null 2>&1; then
    echo "ensure_postgres: using $("$initdb_bin" --version) at $initdb_bin"
    exit 0
fi

fail() {
    echo "ensure_postgres: $*" >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "ensure_postgres: the PostgreSQL tests will be skipped" >&2
    exit 0
}

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "no PostgreSQL server found; install Debian's 'postgresql' package (apt-get install postgresql)"
fi

echo "ensure_postgres: no PostgreSQL server found; installing Debian's postgresql package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || fail "apt-get update failed"
apt-get install -y -qq --no-install-recommends postgresql >/dev/null || fail "apt-get install postgresql failed"

initdb_bin=$(find_initdb)
[ -n "$initdb_bin" ] || fail "postgresql is installed but no initdb was found"
echo "ensure_postgres: installed $("$initdb_bin" --version) at $initdb_bin"

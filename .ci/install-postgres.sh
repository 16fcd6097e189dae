#!/usr/bin/env bash
# Install the PostgreSQL server binaries (initdb, pg_ctl, postgres) that the tests
# marked `postgres` start on loopback (tests/postgres_server.py). Idempotent: does
# nothing when they are already on PATH or under /usr/lib/postgresql/*/bin.
set -euo pipefail

have_server() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 \
        && command -v postgres >/dev/null 2>&1; then
        return 0
    fi
    local bindir
    for bindir in /usr/lib/postgresql/*/bin; do
        if [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] && [ -x "$bindir/postgres" ]; then
            return 0
        fi
    done
    return 1
}

if have_server; then
    echo "install-postgres: PostgreSQL server binaries already present"
    exit 0
fi

# postgresql: Debian's server package (binaries in /usr/lib/postgresql/<version>/bin).
bash "$(dirname "$0")/apt-install.sh" postgresql

# Debian's package also creates and starts a default cluster on port 5432; the tests
# do not use it (they start their own), so stop it where a service manager runs it.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _; do
        $SUDO pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true
    done
fi

if ! have_server; then
    echo "install-postgres: apt-get finished but initdb/pg_ctl/postgres are still missing" >&2
    exit 1
fi
echo "install-postgres: installed $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"

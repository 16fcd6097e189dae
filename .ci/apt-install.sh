#!/usr/bin/env bash
# Install Debian packages for the tests: `bash .ci/apt-install.sh PACKAGE...`, as root
# or through sudo; fails, saying so, where there is no apt-get or no way to be root.
set -euo pipefail

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-install: no apt-get here; install by hand: $*" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "apt-install: not root and no sudo; run as root: apt-get install $*" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "$@"

#!/usr/bin/env bash
# Install headless Chromium and its WebDriver (Debian's chromium and
# chromium-driver) for the browser tests of `relgraph serve`'s page
# (tests/serve/test_page_browser.py). Idempotent: does nothing when both are on PATH.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "install-chromium: chromium and chromedriver already present"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: no apt-get here; install chromium and chromium-driver by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-chromium: not root and no sudo; run as root: apt-get install chromium chromium-driver" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || {
    echo "install-chromium: apt-get finished but chromium/chromedriver are still missing" >&2
    exit 1
}
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"

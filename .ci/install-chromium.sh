#!/usr/bin/env bash
# Install headless Chromium and its WebDriver (Debian's chromium and
# chromium-driver) for the browser tests of `relgraph serve`'s page
# (tests/serve/test_page_browser.py). Idempotent: does nothing when both are on PATH.
set -euo pipefail

have_browser() {
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1
}

if have_browser; then
    echo "install-chromium: chromium and chromedriver already present"
    exit 0
fi
bash "$(dirname "$0")/apt-install.sh" chromium chromium-driver
if ! have_browser; then
    echo "install-chromium: apt-get finished but chromium/chromedriver are still missing" >&2
    exit 1
fi
echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"

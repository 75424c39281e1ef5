#!/bin/sh
# Make sure Debian's Chromium is installed for the browser tests (tests/api/web); `make test` runs this.
#
# Playwright drives the system's Chromium (executable_path): its own browser download cannot work
# offline. Quick when chromium is there. Where it cannot install (not root, no apt-get), it says so:
# the browser tests then skip, or fail when CI is set, because CI must run them.
set -eu

if command -v chromium >/dev/null 2>&1; then
    echo "ensure_chromium: using $(command -v chromium)"
    exit 0
fi

fail() {
    echo "ensure_chromium: $*" >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "ensure_chromium: the browser tests will be skipped" >&2
    exit 0
}

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "no chromium found; install Debian's 'chromium' package (apt-get install chromium)"
fi

echo "ensure_chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || fail "apt-get update failed"
apt-get install -y -qq --no-install-recommends chromium >/dev/null || fail "apt-get install chromium failed"
command -v chromium >/dev/null 2>&1 || fail "chromium is installed but not on PATH"
echo "ensure_chromium: installed $(command -v chromium)"

#!/bin/sh
# Make sure wrk is installed for the serving benchmark's HTTP part; `make bench` runs this.
#
# Without it (not root, no apt-get, offline) the benchmark still runs its httpx load generator
# and says that wrk was not run.
set -eu

if command -v wrk >/dev/null 2>&1; then
    echo "ensure_wrk: using $(command -v wrk)"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_wrk: no wrk found (apt-get install wrk); the serving benchmark runs without it" >&2
    exit 0
fi
echo "ensure_wrk: installing Debian's wrk package"
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; } \
    || echo "ensure_wrk: apt-get install wrk failed; the serving benchmark runs without it" >&2

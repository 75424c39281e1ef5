#!/bin/sh
# The test OpenID provider (tests/oidc/provider.mjs): the npm package oidc-provider at the version
# pinned in tests/oidc/package-lock.json, run with Debian's node. Installs node and npm where missing.
set -e
cd "$(dirname "$0")/oidc"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "ensure_oidc: installing Debian's nodejs and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d node_modules/oidc-provider ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

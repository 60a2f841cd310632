#!/usr/bin/env bash
# Runs the runtime-neutral unit suite (test/unit/**/*.test.ts) and the shim's conformance test
# inside workerd through miniflare, without nodejs_compat (scripts/test-workerd.ts). miniflare is
# a devDependency; if it is missing, the run fails under CI (CI set) and is skipped with a
# SKIPPING: warning otherwise. Extra arguments keep only files whose path contains one of them.
# Prints `N passed, N failed` last; exits non-zero if a test failed or the run did not finish.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/miniflare/package.json ] || [ ! -f node_modules/esbuild/package.json ]; then
  if [ -n "${CI:-}" ]; then
    echo "test-workerd: miniflare or esbuild not installed (devDependencies; CI is set)" >&2
    echo "0 passed, 0 failed"
    exit 1
  fi
  echo "SKIPPING: test-workerd: miniflare or esbuild not installed (npm ci installs them;" \
    "fails when CI is set)" >&2
  echo "0 passed, 0 failed"
  exit 0
fi

exec node_modules/.bin/tsx scripts/test-workerd.ts "$@"

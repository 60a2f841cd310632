#!/usr/bin/env bash
# Runs the runtime-neutral unit suite (test/unit/**/*.test.ts) under Bun's own test runner,
# `bun test`, which serves `import ... from 'vitest'` from its built-in test API. Bun comes from
# the bun npm package (a devDependency). A missing binary fails under CI (CI set) and is skipped
# with a SKIPPING: warning otherwise. Extra arguments go to `bun test` (e.g. -t 'Reader').
# Prints `N passed, N failed` last; exits non-zero if a test failed or Bun did not finish.
set -uo pipefail
cd "$(dirname "$0")/.."

bun=node_modules/.bin/bun
if [ ! -x "$bun" ]; then
  if [ -n "${CI:-}" ]; then
    echo "test-bun: $bun not found (the bun npm package is a devDependency; CI is set)" >&2
    echo "0 passed, 0 failed"
    exit 1
  fi
  echo "SKIPPING: test-bun: $bun not found (npm ci installs it; fails when CI is set)" >&2
  echo "0 passed, 0 failed"
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Paths must start with ./ for bun test to take them as paths rather than name filters.
NO_COLOR=1 "$bun" test ./test/unit "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Bun's summary: ` 882 pass`, ` 0 fail` on lines of their own, then `Ran 882 tests across ...`.
passed=$(sed -nE 's/^ *([0-9]+) pass$/\1/p' "$log" | tail -n 1)
failed=$(sed -nE 's/^ *([0-9]+) fail$/\1/p' "$log" | tail -n 1)
if ! grep -qE '^Ran [0-9]+ tests? across' "$log"; then
  echo "test-bun: bun test exited with status $status before its summary" >&2
  [ "$status" -eq 0 ] && status=1
fi
if [ "${passed:-0}" -eq 0 ]; then
  echo "test-bun: no test passed" >&2
  status=1
fi
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"

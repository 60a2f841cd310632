#!/usr/bin/env bash
# Runs the suite in Node (all tests), headless Chromium, Deno, Bun and workerd (test/unit/**),
# then platformVerifier against the real trust store under Node, Deno and Bun (test:platform), then
# the benchmark suite as a smoke run (test:bench: every script with --quick), one after another.
# Every runtime runs even if an earlier one failed; exits non-zero if any of them failed.
set -uo pipefail
cd "$(dirname "$0")/.."

results=()
status=0
for runtime in node browser deno bun workerd platform bench; do
  echo "=== test:$runtime ==="
  if npm run --silent "test:$runtime"; then
    results+=("test:$runtime passed")
  else
    results+=("test:$runtime FAILED")
    status=1
  fi
done

echo "=== summary ==="
printf '%s\n' "${results[@]}"
exit "$status"

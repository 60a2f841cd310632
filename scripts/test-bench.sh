#!/usr/bin/env bash
# The benchmark suite as a smoke test: `npm run bench -- --quick` (every script, tiny samples)
# into a throw-away results directory, then a check that every table was written with a number
# in each row. The numbers of a quick run mean nothing; this proves the suite runs.
set -uo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d "${TMPDIR:-/tmp}/webtls-bench-XXXXXX")
trap 'rm -rf "$dir"' EXIT
if ! BENCH_RESULTS_DIR="$dir" npx tsx bench/run.ts --quick; then
  echo "test-bench: a benchmark script failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
BENCH_RESULTS_DIR="$dir" npx tsx scripts/check-bench-results.ts

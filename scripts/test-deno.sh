#!/usr/bin/env bash
# Runs the runtime-neutral unit suite (test/unit/**/*.test.ts) and the shim's own conformance
# test under Deno, then test/runtimes/deno-kv.check.ts (DenoKvSessionStore against real Deno KV).
# deno.json maps `vitest` to test/runtimes/deno-vitest-shim.ts and resolves npm packages from
# node_modules. Extra arguments go to `deno test` (e.g. --filter 'Reader').
# Prints `N passed, N failed` last (summed); exits non-zero if any test failed or Deno did not
# finish.
set -uo pipefail
cd "$(dirname "$0")/.."

deno=node_modules/.bin/deno
if [ ! -x "$deno" ]; then
  echo "test-deno: $deno not found (the deno npm package is a devDependency)" >&2
  echo "0 passed, 0 failed"
  exit 1
fi

# bun-handshake.test.ts drives Bun from Node (it spawns processes); Node's vitest runs it.
mapfile -t files < <(find test/unit test/runtimes -name '*.test.ts' ! -name 'bun-*.test.ts' \
  -type f | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "test-deno: no test files" >&2
  echo "0 passed, 0 failed"
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Only the environment reads tinyrainbow (used by @vitest/expect) makes to pick colours.
# --no-check: tsc (npm run check) type-checks these files against vitest's own types.
# --allow-read for brotli-wasm only: its web build fetches its .wasm by file: URL (certcomp tests).
NO_COLOR=1 RUST_BACKTRACE=0 "$deno" test --no-check --no-prompt \
  --allow-env=FORCE_TTY,NO_COLOR,FORCE_COLOR,TERM,CI --allow-read=node_modules/brotli-wasm \
  "${files[@]}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Deno's summary: `ok | 117 passed | 0 failed (2s)` or `FAILED | 2 passed | 1 failed | ...`.
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
passed=$(sed -nE 's/.*\| ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*\| ([0-9]+) failed.*/\1/p' <<<"$summary")
if [ -z "$summary" ]; then
  echo "test-deno: deno test exited with status $status before its summary" >&2
  [ "$status" -eq 0 ] && status=1
fi
passed=${passed:-0}
failed=${failed:-0}

# DenoKvSessionStore against real Deno KV (unstable in Deno 2: --unstable-kv), with its KV file
# in a temporary directory; the check prints `N passed, N failed` last. First, Deno's own Kv type
# must fit the store's structural KvLike (tsc under Node cannot see Deno's types).
tmp=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$tmp"' EXIT
cat >"$tmp/kv-type.ts" <<EOF
import { DenoKvSessionStore } from '$PWD/src/deno/kv-store.ts';
export const store = new DenoKvSessionStore(await Deno.openKv(':memory:'));
EOF
echo "--- DenoKvSessionStore: Deno.Kv fits KvLike ---"
if NO_COLOR=1 "$deno" check --unstable-kv --quiet "$tmp/kv-type.ts"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo "--- DenoKvSessionStore against Deno KV (test/runtimes/deno-kv.check.ts) ---"
NO_COLOR=1 RUST_BACKTRACE=0 TMPDIR="$tmp" "$deno" run --unstable-kv --no-check --no-prompt \
  --allow-read="$tmp,." --allow-write="$tmp" test/runtimes/deno-kv.check.ts 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
line=$(tail -n 1 "$log")
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2]))
else
  echo "test-deno: deno-kv.check.ts stopped before its summary (status $rc)" >&2
  failed=$((failed + 1))
fi
[ "$rc" -ne 0 ] && status=1

echo "${passed} passed, ${failed} failed"
exit "$status"

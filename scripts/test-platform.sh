#!/usr/bin/env bash
# Runs test/runtimes/platform-verifier.check.ts (platformVerifier() from webtls/node against the
# real environment: SSL_CERT_FILE, SSL_CERT_DIR, the machine's store) under Node, Deno and Bun.
# Deno and Bun come from their npm packages (devDependencies). A missing binary fails under CI
# (CI set) and is skipped with a SKIPPING: warning otherwise. Every runtime runs even if an
# earlier one failed. Prints `N passed, N failed` (checks, summed over the runtimes) last.
set -uo pipefail
cd "$(dirname "$0")/.."

check=test/runtimes/platform-verifier.check.ts
bin=node_modules/.bin
if ! bash scripts/gen-test-pki.sh; then
  echo "test-platform: scripts/gen-test-pki.sh failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

tmp=${TMPDIR:-/tmp}
declare -A command=(
  [node]="$bin/tsx $check"
  # --allow-sys: Deno asks for it before tls.getCACertificates('system') reads the store.
  [deno]="$bin/deno run --no-prompt --no-check --allow-read --allow-write=$tmp
    --allow-env=SSL_CERT_FILE,SSL_CERT_DIR,TMPDIR,TMP,TEMP --allow-sys $check"
  [bun]="$bin/bun run $check"
)

passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for runtime in node deno bun; do
  echo "--- platformVerifier under $runtime ---"
  exe=${command[$runtime]%% *}
  if [ ! -x "$exe" ]; then
    if [ -n "${CI:-}" ]; then
      echo "test-platform: $exe not found (CI is set, so this fails)" >&2
      failed=$((failed + 1))
      status=1
    else
      echo "SKIPPING: $runtime: $exe not found (npm ci installs it; fails when CI is set)" >&2
    fi
    continue
  fi
  # shellcheck disable=SC2086 # the command is word-split on purpose
  NO_COLOR=1 ${command[$runtime]} 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(tail -n 1 "$log")
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    echo "test-platform: $runtime stopped before its summary (status $rc)" >&2
    failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] && status=1
done

if [ "$passed" -eq 0 ]; then
  echo "test-platform: no check passed in any runtime" >&2
  status=1
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -gt 0 ] && status=1
exit "$status"

/**
 * OpenSSL 4 as an optional peer: ECH and RFC 8879 certificate compression (zlib, zstd), which
 * the installed OpenSSL 3.0 lacks. Debian has it only in experimental, built against a newer C
 * library than this Debian's, so `scripts/get-openssl4.sh` unpacks it with sid's loader under
 * .cache/openssl4 (`.ci/run` tries it; a failure there only skips these tests). WEBTLS_OPENSSL4
 * names another executable.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './pki.ts';

/** The OpenSSL 4 executable: WEBTLS_OPENSSL4, else the one scripts/get-openssl4.sh unpacks. */
export const OPENSSL4 = process.env.WEBTLS_OPENSSL4 ?? join(REPO, '.cache/openssl4/openssl');

/**
 * True when OPENSSL4 runs and is OpenSSL 4 or later. These tests are optional everywhere, CI
 * included (the issue says so: OpenSSL 4 is not in this Debian); when it is missing the file is
 * skipped with a warning that says how to get it.
 */
export function haveOpenssl4(): boolean {
  let version = '';
  try {
    if (existsSync(OPENSSL4)) version = execFileSync(OPENSSL4, ['version'], { encoding: 'utf8' });
  } catch {
    version = '';
  }
  const major = Number(/^OpenSSL (\d+)\./.exec(version)?.[1] ?? 0);
  if (major >= 4) return true;
  console.warn(
    `SKIPPING OpenSSL 4 interop: no OpenSSL 4 at ${OPENSSL4} (optional; get it with ` +
      '`bash scripts/get-openssl4.sh`, or set WEBTLS_OPENSSL4)',
  );
  return false;
}

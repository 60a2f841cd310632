/**
 * Whether a peer binary is installed. Interop tests must not pass silently without their peer:
 * in CI (CI set) a missing peer fails the test file; locally it is skipped with a warning.
 */
import { execFileSync } from 'node:child_process';

/** True when `name` is on PATH. */
export function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when every binary is present. When one is missing: throws under CI (the test
 * file fails), otherwise warns naming it and returns false (use with `describe.skipIf`).
 */
export function requirePeer(...names: string[]): boolean {
  const missing = names.filter((name) => !hasBinary(name));
  if (missing.length === 0) return true;
  const message = `interop peer missing: ${missing.join(', ')} (install it: see .ci/run)`;
  if (process.env.CI) throw new Error(`${message}; CI requires every peer`);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

/** True when `unshare -n` works here (needs root or user namespaces). */
export function canUnshareNet(): boolean {
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

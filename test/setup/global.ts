import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Generates the test PKI once per run (scripts/gen-test-pki.sh is idempotent). */
export default function setup(): void {
  if (existsSync('scripts/gen-test-pki.sh')) {
    execFileSync('bash', ['scripts/gen-test-pki.sh'], { stdio: 'inherit' });
  }
}

/**
 * The test's side of netns-client.ts: the shell command that runs it inside a namespace for a
 * list of cases, and the `RESULT` lines it prints, read back by case id.
 */
import { shQuote } from './gnutls.ts';
import type { NetnsCase, NetnsResult } from './netns-client.ts';
import { REPO } from './pki.ts';

const TSX = `${REPO}/node_modules/.bin/tsx`;
const SCRIPT = `${REPO}/test/interop/peers/netns-client.ts`;

/** The shell command that runs the webtls client for `cases` (in the namespace). */
export function netnsClientCommand(cases: NetnsCase[]): string {
  return `cd ${shQuote(REPO)}; ${shQuote(TSX)} ${shQuote(SCRIPT)} ${shQuote(JSON.stringify(cases))}`;
}

/** The RESULT lines the client printed, by case id. */
export function netnsResults(stdout: string): Map<string, NetnsResult> {
  const results = new Map<string, NetnsResult>();
  for (const match of stdout.matchAll(/^RESULT (.*)$/gm)) {
    const result = JSON.parse(match[1]) as NetnsResult;
    results.set(result.id, result);
  }
  return results;
}

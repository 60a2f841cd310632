/** What both commands share: providers, key-log files, error reporting, stdout piping. */
import { appendFileSync, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fipsProvider, nobleProvider, subtleProvider } from '../crypto/index.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { nodeProvider } from '../node/index.ts';
import { UsageError } from './args.ts';

/**
 * The provider named by `-provider`: subtle (default, WebCrypto with noble fallbacks), noble,
 * fips (WebCrypto restricted to FIPS-approved algorithms), or node (node:crypto, synchronous).
 */
export function chooseProvider(name: string | undefined): CryptoProvider {
  switch (name ?? 'subtle') {
    case 'subtle':
      return subtleProvider();
    case 'noble':
      return nobleProvider();
    case 'fips':
      return fipsProvider();
    case 'node':
      return nodeProvider();
    default:
      throw new UsageError(`unknown provider '${name}' (subtle, noble, fips or node)`);
  }
}

/** A key-log hook appending SSLKEYLOGFILE lines to `path`, or undefined without a path. */
export function keyLogTo(path: string | undefined): ((line: string) => void) | undefined {
  if (!path) return undefined;
  return (line) => appendFileSync(path, `${line}\n`, { mode: 0o600 });
}

/** Reads a text file named on the command line; a missing file is a usage error. */
export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read ${what} '${path}': ${reason}`);
  }
}

/** Reads a binary file named on the command line; a missing file is a usage error. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    const data = readFileSync(path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read ${what} '${path}': ${reason}`);
  }
}

/** One line naming an error: `error: CODE: message` (CODE is the TlsError code). */
export function errorLine(error: unknown): string {
  if (error instanceof TlsError) return `error: ${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `error: ${code ?? 'ERROR'}: ${error.message}`;
  }
  return `error: ERROR: ${String(error)}`;
}

/** Copies a readable to a node stream, waiting for 'drain' (back-pressure). Resolves at end. */
export async function pipeToNode(
  readable: ReadableStream<Uint8Array>,
  out: Writable,
): Promise<void> {
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    if (!out.write(value)) {
      await new Promise<void>((resolve) => {
        out.once('drain', resolve);
        out.once('close', resolve);
      });
    }
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

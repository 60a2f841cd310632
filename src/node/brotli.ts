import { createRequire } from 'node:module';
import type { BrotliModule } from '../certcomp/brotli.ts';

/**
 * Loads brotli-wasm's Node build (CommonJS, which reads its .wasm from disk) for
 * `brotli({ load: loadBrotliNode })`. Node's `import('brotli-wasm')` picks the web build, which
 * fetches its .wasm by `file:` URL, and Node's fetch cannot read files.
 */
export async function loadBrotliNode(): Promise<BrotliModule> {
  return createRequire(import.meta.url)('brotli-wasm') as BrotliModule;
}

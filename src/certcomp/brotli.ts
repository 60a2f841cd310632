import { TlsError } from '../error.ts';
import {
  BoundedOutput,
  type CertCompressionAlgorithm,
  type DecompressProbe,
  decompressError,
} from './algorithm.ts';

/** One step's result from brotli-wasm's streaming decoder. */
export interface BrotliStepResult {
  /** Output produced by this step (at most the requested size). */
  readonly buf: Uint8Array;
  /** BrotliStreamResultCode: 1 finished, 2 needs more input, 3 needs more output. */
  readonly code: number;
  /** Input bytes consumed by this step. */
  readonly input_offset: number;
  /** Releases the wasm-side object, where the binding has one. */
  free?(): void;
}

/**
 * The part of the brotli-wasm module this algorithm uses (the resolved value of its default
 * export, or its Node build). Any implementation with this shape can be injected.
 */
export interface BrotliModule {
  /** One-shot compression. */
  compress(data: Uint8Array, options?: { quality?: number }): Uint8Array;
  /** A streaming decoder whose steps produce at most `outputSize` bytes. */
  DecompressStream: new () => {
    decompress(input: Uint8Array, outputSize: number): BrotliStepResult;
    free(): void;
  };
}

/** Options for {@link brotli}. */
export interface BrotliOptions {
  /**
   * Loads the brotli-wasm module on first use. The default, `import('brotli-wasm')` awaiting its
   * default export, suits browsers and bundlers, Deno and Bun; in Node pass `loadBrotliNode` from
   * `webtls/node`; in workerd import the web build and `init()` it with the .wasm module (see
   * docs/cert-compression.md).
   */
  load?: () => Promise<BrotliModule>;
  /** Brotli quality for compression, 0–11 (default 11: certificates are compressed once). */
  quality?: number;
}

/** The largest output asked of the decoder in one step. */
const OUTPUT_STEP = 16 * 1024;

/** brotli-wasm's BrotliStreamResultCode values. */
const Step = { Success: 1, NeedsMoreInput: 2, NeedsMoreOutput: 3 } as const;

async function loadDefault(): Promise<BrotliModule> {
  const mod = await import('brotli-wasm');
  return (await mod.default) as unknown as BrotliModule;
}

/**
 * Decompresses brotli `data` into exactly `expected` bytes with the streaming decoder, asking
 * each step for no more than one byte past what is still expected, so a bomb ends after at most
 * `expected + 1` bytes of output. Exported for tests (`probe`).
 *
 * @throws TlsError BAD_CERTIFICATE for malformed input or output of the wrong length
 */
export function brotliDecompressBounded(
  mod: BrotliModule,
  data: Uint8Array,
  expected: number,
  probe?: DecompressProbe,
): Uint8Array {
  const output = new BoundedOutput('brotli', expected);
  probe?.onStart?.(output);
  let decoder: InstanceType<BrotliModule['DecompressStream']>;
  try {
    decoder = new mod.DecompressStream();
  } catch (error) {
    throw new TlsError('CONFIG', 'tls: brotli decoder could not be created', { cause: error });
  }
  try {
    let offset = 0;
    for (;;) {
      const room = expected - output.produced;
      let step: BrotliStepResult;
      try {
        step = decoder.decompress(data.subarray(offset), Math.min(OUTPUT_STEP, room + 1));
      } catch (error) {
        throw decompressError('brotli', 'malformed input', error);
      }
      const { buf, code, input_offset: consumed } = step;
      step.free?.();
      offset += consumed;
      output.push(buf);
      if (code === Step.Success) {
        // RFC 8879 §4: bytes after the end of the compressed stream are not a valid message.
        if (offset !== data.length) throw decompressError('brotli', 'data after the stream end');
        return output.finish();
      }
      if (code === Step.NeedsMoreInput && offset >= data.length) {
        throw decompressError('brotli', 'truncated input');
      }
      if (buf.length === 0 && consumed === 0) {
        throw decompressError('brotli', 'the decoder made no progress');
      }
    }
  } finally {
    decoder.free();
  }
}

/**
 * brotli (RFC 8879 §3 brotli(2), RFC 7932) through brotli-wasm, loaded on first use so an
 * application that never enables it loads nothing.
 */
export function brotli(options: BrotliOptions = {}): CertCompressionAlgorithm {
  const load = options.load ?? loadDefault;
  const quality = options.quality ?? 11;
  let loaded: Promise<BrotliModule> | undefined;
  const module = (): Promise<BrotliModule> => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw new TlsError('CONFIG', 'tls: brotli-wasm could not be loaded', {
        layer: 'config',
        cause: error,
      });
    });
    return loaded;
  };
  return {
    id: 2,
    name: 'brotli',
    async compress(data: Uint8Array): Promise<Uint8Array> {
      const input = data.slice();
      return (await module()).compress(input, { quality });
    },
    async decompress(data: Uint8Array, expectedLength: number): Promise<Uint8Array> {
      const input = data.slice();
      return brotliDecompressBounded(await module(), input, expectedLength);
    },
  };
}

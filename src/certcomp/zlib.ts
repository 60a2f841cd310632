import { TlsError } from '../error.ts';
import {
  BoundedOutput,
  type CertCompressionAlgorithm,
  type DecompressProbe,
  decompressError,
} from './algorithm.ts';

/**
 * Compressed bytes handed to the decoder at a time. Deflate expands at most ~1032:1, so one slice
 * yields at most ~1 MiB even where a runtime's DecompressionStream inflates a whole chunk at once;
 * output is checked between slices, so a bomb stops within one slice of the declared length.
 */
const INPUT_SLICE = 1024;

function streams(): {
  Compression: typeof CompressionStream;
  Decompression: typeof DecompressionStream;
} {
  if (typeof CompressionStream !== 'function' || typeof DecompressionStream !== 'function') {
    throw new TlsError(
      'CONFIG',
      'tls: zlib certificate compression needs CompressionStream and DecompressionStream',
      { layer: 'config' },
    );
  }
  return { Compression: CompressionStream, Decompression: DecompressionStream };
}

/** Reads a stream to its end into one array. */
async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Inflates zlib (RFC 1950) `data` into exactly `expected` bytes, feeding the decoder in slices
 * and stopping as soon as the output would pass `expected`. Exported for tests (`probe`).
 *
 * @throws TlsError BAD_CERTIFICATE for malformed input or output of the wrong length
 */
export async function inflateBounded(
  data: Uint8Array,
  expected: number,
  probe?: DecompressProbe,
): Promise<Uint8Array> {
  const { Decompression } = streams();
  const output = new BoundedOutput('zlib', expected);
  probe?.onStart?.(output);
  const input = data.slice();
  // RFC 1950 'deflate' in the Compression Streams standard is the zlib format RFC 8879 §3 names.
  const ds = new Decompression('deflate');
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  const feeding = (async () => {
    for (let at = 0; at < input.length; at += INPUT_SLICE) {
      await writer.write(input.subarray(at, at + INPUT_SLICE));
    }
    await writer.close();
  })();
  // Failures surface through the reader; this keeps the writer's rejection from going unhandled.
  feeding.catch(() => {});
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw decompressError('zlib', 'malformed input', error);
      }
      if (chunk.done) break;
      output.push(chunk.value);
    }
    return output.finish();
  } catch (error) {
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    throw error;
  }
}

/**
 * zlib (RFC 8879 §3 zlib(1), the RFC 1950 format) through the web platform's CompressionStream
 * and DecompressionStream. Using it where those are missing throws TlsError CONFIG.
 */
export const zlib: CertCompressionAlgorithm = {
  id: 1,
  name: 'zlib',
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const { Compression } = streams();
    const cs = new Compression('deflate');
    const writer = cs.writable.getWriter();
    const writing = writer.write(data.slice()).then(() => writer.close());
    const [out] = await Promise.all([readAll(cs.readable), writing]);
    return out;
  },
  decompress(data: Uint8Array, expectedLength: number): Promise<Uint8Array> {
    return inflateBounded(data, expectedLength);
  },
};

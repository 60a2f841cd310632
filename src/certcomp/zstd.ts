import { Decompress } from 'fzstd';
import { TlsError } from '../error.ts';
import {
  BoundedOutput,
  type CertCompressionAlgorithm,
  type DecompressProbe,
  decompressError,
} from './algorithm.ts';
import { xxh64 } from './xxh64.ts';

/**
 * The largest window a frame may ask for. The decoder allocates the window up front, so it is
 * checked before decoding; RFC 8878 §3.1.1.1.2 encourages decoders to support up to 8 MB.
 */
const MAX_WINDOW = 8 * 1024 * 1024;

/** RFC 8878 §3.1.1.2: Block_Maximum_Size is 128 KiB. */
const MAX_BLOCK = 128 * 1024;

const FRAME_MAGIC = 0xfd2fb528;

function u32le(data: Uint8Array, at: number): number {
  return (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
}

/** Reads `n` (0, 1, 2, 4 or 8) little-endian bytes as a number (exact below 2^53). */
function uintLe(data: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + data[at + i];
  return v;
}

/** One Zstandard frame's place in the input, and its Content_Checksum if it has one. */
interface Frame {
  start: number;
  end: number;
  checksum?: number;
}

/**
 * Walks every frame's header and block headers (RFC 8878 §3.1) without decoding, rejecting what
 * the decoder would otherwise act on unchecked: a window above MAX_WINDOW (it would be
 * allocated), a declared content size above `expected`, dictionaries, reserved bits and types,
 * truncation, and bytes that are not a frame.
 *
 * @throws TlsError BAD_CERTIFICATE
 */
export function checkZstdFrames(data: Uint8Array, expected: number): Frame[] {
  const fail = (why: string) => decompressError('zstd', why);
  const frames: Frame[] = [];
  let at = 0;
  if (data.length === 0) throw fail('empty input');
  while (at < data.length) {
    if (at + 4 > data.length) throw fail('truncated frame');
    const magic = u32le(data, at);
    // RFC 8878 §3.1.2: skippable frames, magic 0x184D2A5?, then a 4-byte size.
    if (magic >>> 4 === 0x184d2a5) {
      if (at + 8 > data.length) throw fail('truncated skippable frame');
      at += 8 + u32le(data, at + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw fail('not a Zstandard frame');
    // RFC 8878 §3.1.1.1.1: Frame_Header_Descriptor.
    let p = at + 4;
    if (p >= data.length) throw fail('truncated frame header');
    const fhd = data[p++];
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd >> 5) & 1;
    const hasChecksum = (fhd >> 2) & 1;
    const dictFlag = fhd & 3;
    if (fhd & 0x08) throw fail('reserved frame header bit set');
    if (dictFlag !== 0) throw fail('dictionaries are not supported');
    let window = 0;
    if (!singleSegment) {
      // RFC 8878 §3.1.1.1.2: Window_Descriptor.
      if (p >= data.length) throw fail('truncated frame header');
      const wd = data[p++];
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    // RFC 8878 §3.1.1.1.4: Frame_Content_Size.
    const fcsBytes = fcsFlag === 0 ? singleSegment : 1 << fcsFlag;
    if (p + fcsBytes > data.length) throw fail('truncated frame header');
    let contentSize = fcsBytes > 0 ? uintLe(data, p, fcsBytes) : -1;
    if (fcsBytes === 2) contentSize += 256;
    p += fcsBytes;
    if (singleSegment) window = contentSize;
    if (window > MAX_WINDOW) throw fail(`window of ${window} bytes is above ${MAX_WINDOW}`);
    if (contentSize > expected) {
      throw fail(`frame declares ${contentSize} bytes, more than the declared ${expected}`);
    }
    // RFC 8878 §3.1.1.2: blocks, each with a 3-byte header; the last has Last_Block set.
    for (;;) {
      if (p + 3 > data.length) throw fail('truncated block header');
      const header = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16);
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw fail('reserved block type');
      if (size > MAX_BLOCK) throw fail('block larger than 128 KiB');
      // An RLE block (type 1) carries one byte; raw and compressed blocks carry `size` bytes.
      p += 3 + (type === 1 ? 1 : size);
      if (p > data.length) throw fail('truncated block');
      if (header & 1) break;
    }
    if (hasChecksum) p += 4;
    if (p > data.length) throw fail('truncated checksum');
    frames.push({ start: at, end: p, checksum: hasChecksum ? u32le(data, p - 4) : undefined });
    at = p;
  }
  if (at !== data.length) throw fail('truncated skippable frame');
  return frames;
}

/**
 * Decompresses Zstandard `data` into exactly `expected` bytes with fzstd's streaming decoder,
 * after checking the frame headers, and verifies each frame's content checksum. The decoder emits one block (at most 128 KiB) at a time and
 * decoding stops at the first block that passes `expected`. Exported for tests (`probe`).
 *
 * @throws TlsError BAD_CERTIFICATE for malformed input or output of the wrong length
 */
export function zstdDecompressBounded(
  data: Uint8Array,
  expected: number,
  probe?: DecompressProbe,
): Uint8Array {
  const output = new BoundedOutput('zstd', expected);
  probe?.onStart?.(output);
  // Each frame is decoded on its own, so its checksum covers exactly its output.
  for (const frame of checkZstdFrames(data, expected)) {
    const start = output.length;
    const decoder = new Decompress((chunk) => output.push(chunk));
    try {
      decoder.push(data.subarray(frame.start, frame.end), true);
    } catch (error) {
      if (error instanceof TlsError) throw error;
      throw decompressError('zstd', 'malformed input', error);
    }
    // RFC 8878 §3.1.1: Content_Checksum is the low 32 bits of XXH64 (seed 0) of the content.
    if (frame.checksum !== undefined) {
      const content = output.buffer.subarray(start, output.length);
      if (Number(xxh64(content) & 0xffffffffn) !== frame.checksum) {
        throw decompressError('zstd', 'content checksum mismatch');
      }
    }
  }
  return output.finish();
}

/**
 * Zstandard (RFC 8879 §3 zstd(3), RFC 8878), decompression only, through the pure-JS fzstd. No
 * compressor is offered: none that is pure JS, or wasm that loads the same way in every runtime,
 * is dependable enough, so `compress` is undefined and a server never picks zstd.
 */
export function zstd(): CertCompressionAlgorithm {
  return {
    id: 3,
    name: 'zstd',
    async decompress(data: Uint8Array, expectedLength: number): Promise<Uint8Array> {
      return zstdDecompressBounded(data.slice(), expectedLength);
    },
  };
}

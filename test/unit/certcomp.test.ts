import { describe, expect, it } from 'vitest';
import type { BoundedOutput } from '../../src/certcomp/algorithm.ts';
import { type BrotliModule, brotliDecompressBounded } from '../../src/certcomp/brotli.ts';
import {
  brotli,
  type CertCompressionAlgorithm,
  CompressedChainCache,
  checkDeclaredLength,
  zlib,
  zstd,
} from '../../src/certcomp/index.ts';
import { xxh64 } from '../../src/certcomp/xxh64.ts';
import { inflateBounded } from '../../src/certcomp/zlib.ts';
import { zstdDecompressBounded } from '../../src/certcomp/zstd.ts';
import { TlsError } from '../../src/error.ts';
import { encodeCertificate } from '../../src/msgs/certificate.ts';
import { equalBytes, fromBase64 } from '../../src/util/bytes.ts';
import { pemCertificates } from '../../src/util/pem.ts';
import { brotliBombBase64 } from './data/certcomp-bombs.ts';
import { zstdChainBase64 } from './data/certcomp-zstd.ts';
import { caPem, rsaCertPem } from './data/certs.ts';

/** The TLS 1.3 Certificate body a server would compress: leaf and CA, no extensions. */
const chain = encodeCertificate({
  context: new Uint8Array(0),
  entries: [rsaCertPem, caPem]
    .flatMap((p) => pemCertificates(p))
    .map((data) => ({
      data,
      extensions: [],
    })),
});

const GiB = 2 ** 30;
const userAgent = typeof navigator === 'undefined' ? 'Node.js' : navigator.userAgent;
const inNode = userAgent.startsWith('Node.js');

/**
 * brotli-wasm as this runtime loads it: the Node build in Node, the default export elsewhere
 * (in workerd, scripts/test-workerd.ts aliases the package to its web build, initialised with
 * the .wasm as a module).
 */
async function loadBrotliModule(): Promise<BrotliModule> {
  if (inNode) {
    // A specifier bundlers do not follow: the Node helper must stay out of browser bundles.
    const helper = '../../src/node/brotli.ts';
    const { loadBrotliNode } = (await import(/* @vite-ignore */ helper)) as {
      loadBrotliNode: () => Promise<BrotliModule>;
    };
    return loadBrotliNode();
  }
  const mod = await import('brotli-wasm');
  return (await mod.default) as unknown as BrotliModule;
}

let brotliModule: Promise<BrotliModule> | undefined;
/** brotli-wasm, loaded once for the file. */
function brotliModuleOnce(): Promise<BrotliModule> {
  brotliModule ??= loadBrotliModule();
  return brotliModule;
}

function brotliAlg(): CertCompressionAlgorithm {
  return brotli({ load: brotliModuleOnce });
}

/** Resolves to the TlsError code a promise rejects with, or fails the test if it resolves. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(TlsError);
    return (error as TlsError).code;
  }
  throw new Error('expected a rejection');
}

/** codeOf for a function that throws synchronously. */
function syncCodeOf(f: () => unknown): Promise<string> {
  return codeOf(Promise.resolve().then(f));
}

/** Records the output collector a bounded decompressor used. */
function probe(): { onStart(o: BoundedOutput): void; output(): BoundedOutput } {
  let seen: BoundedOutput | undefined;
  return {
    onStart: (o) => {
      seen = o;
    },
    output: () => {
      if (seen === undefined) throw new Error('the decompressor never started');
      return seen;
    },
  };
}

/** zlib of `mib` MiB of zeros, made with CompressionStream (about 1 KiB per MiB). */
async function zlibZeros(mib: number): Promise<Uint8Array> {
  const cs = new CompressionStream('deflate');
  const writer = cs.writable.getWriter();
  const zeros = new Uint8Array(1 << 20);
  const writing = (async () => {
    for (let i = 0; i < mib; i++) await writer.write(zeros);
    await writer.close();
  })();
  const out = new Uint8Array(await new Response(cs.readable).arrayBuffer());
  await writing;
  return out;
}

/** One Zstandard frame (RFC 8878 §3.1.1) of RLE blocks of 128 KiB zeros: 4 bytes per block. */
function zstdRleZeros(total: number, windowDescriptor = 7 << 3): Uint8Array {
  const blocks = Math.ceil(total / (128 * 1024));
  const out = new Uint8Array(6 + 4 * blocks);
  // Magic, Frame_Header_Descriptor 0 (no content size, not single segment), Window_Descriptor.
  out.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor]);
  for (let i = 0; i < blocks; i++) {
    // Block_Header: Last_Block, Block_Type 1 (RLE), Block_Size 128 KiB; then the byte 0.
    const header = ((128 * 1024) << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    out.set([header & 0xff, (header >> 8) & 0xff, header >> 16, 0], 6 + 4 * i);
  }
  return out;
}

describe('checkDeclaredLength (RFC 8879 §5 limit before any work)', () => {
  it('accepts lengths up to the limit (1 MiB by default)', () => {
    expect(() => checkDeclaredLength(0)).not.toThrow();
    expect(() => checkDeclaredLength(1 << 20)).not.toThrow();
    expect(() => checkDeclaredLength(5000, 5000)).not.toThrow();
  });

  it('rejects a larger declared length with BAD_CERTIFICATE', async () => {
    expect(await syncCodeOf(() => checkDeclaredLength((1 << 20) + 1))).toBe('BAD_CERTIFICATE');
    expect(await syncCodeOf(() => checkDeclaredLength(5001, 5000))).toBe('BAD_CERTIFICATE');
    expect(await syncCodeOf(() => checkDeclaredLength(-1))).toBe('BAD_CERTIFICATE');
    expect(await syncCodeOf(() => checkDeclaredLength(1.5))).toBe('BAD_CERTIFICATE');
  });
});

describe('zlib (RFC 8879 zlib(1))', () => {
  it('round-trips a certificate chain', async () => {
    expect(zlib.id).toBe(1);
    const compressed = await (zlib.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    // RFC 1950 header: CM 8 (deflate), and the check bits make the first two bytes a multiple
    // of 31.
    expect(compressed[0] & 0x0f).toBe(8);
    expect(((compressed[0] << 8) | compressed[1]) % 31).toBe(0);
    expect(compressed.length).toBeLessThan(chain.length);
    expect(equalBytes(await zlib.decompress(compressed, chain.length), chain)).toBe(true);
  });

  it('fails when the output is shorter or longer than declared', async () => {
    const compressed = await (zlib.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    expect(await codeOf(zlib.decompress(compressed, chain.length + 1))).toBe('BAD_CERTIFICATE');
    expect(await codeOf(zlib.decompress(compressed, chain.length - 1))).toBe('BAD_CERTIFICATE');
  });

  it('fails on malformed, truncated or non-zlib input', async () => {
    const compressed = await (zlib.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    const truncated = compressed.subarray(0, compressed.length >> 1);
    expect(await codeOf(zlib.decompress(truncated, chain.length))).toBe('BAD_CERTIFICATE');
    const corrupt = compressed.slice();
    corrupt[0] ^= 0xff;
    expect(await codeOf(zlib.decompress(corrupt, chain.length))).toBe('BAD_CERTIFICATE');
    expect(await codeOf(zlib.decompress(chain, chain.length))).toBe('BAD_CERTIFICATE');
  });

  it('stops a 64 MiB bomb within about 1 MiB of output', async () => {
    const bomb = await zlibZeros(64);
    expect(bomb.length).toBeLessThan(128 * 1024);
    const p = probe();
    expect(await codeOf(inflateBounded(bomb, chain.length, p))).toBe('BAD_CERTIFICATE');
    // Input goes in 1 KiB slices and deflate expands at most 1032:1.
    expect(p.output().produced).toBeGreaterThan(chain.length);
    expect(p.output().produced).toBeLessThanOrEqual(chain.length + 1032 * 1024 + 64 * 1024);
  });
});

describe('brotli (RFC 8879 brotli(2), brotli-wasm)', () => {
  it('round-trips a certificate chain', async () => {
    const alg = brotliAlg();
    expect(alg.id).toBe(2);
    const compressed = await (alg.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    expect(compressed.length).toBeLessThan(chain.length);
    expect(equalBytes(await alg.decompress(compressed, chain.length), chain)).toBe(true);
  });

  it('fails when the output is shorter or longer than declared', async () => {
    const alg = brotliAlg();
    const compressed = await (alg.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    expect(await codeOf(alg.decompress(compressed, chain.length + 1))).toBe('BAD_CERTIFICATE');
    expect(await codeOf(alg.decompress(compressed, chain.length - 1))).toBe('BAD_CERTIFICATE');
  });

  it('fails on malformed, truncated or trailing input', async () => {
    const alg = brotliAlg();
    const compressed = await (alg.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    const truncated = compressed.subarray(0, compressed.length - 1);
    expect(await codeOf(alg.decompress(truncated, chain.length))).toBe('BAD_CERTIFICATE');
    const trailing = new Uint8Array([...compressed, 0]);
    expect(await codeOf(alg.decompress(trailing, chain.length))).toBe('BAD_CERTIFICATE');
    const garbage = new Uint8Array(64).fill(0xff);
    expect(await codeOf(alg.decompress(garbage, chain.length))).toBe('BAD_CERTIFICATE');
  });

  it('stops a 1 GiB bomb one byte past the declared length', async () => {
    const bomb = fromBase64(brotliBombBase64);
    expect(bomb.length).toBeLessThan(8 * 1024);
    const p = probe();
    const mod = await brotliModuleOnce();
    expect(await syncCodeOf(() => brotliDecompressBounded(mod, bomb, chain.length, p))).toBe(
      'BAD_CERTIFICATE',
    );
    expect(p.output().produced).toBe(chain.length + 1);
  });

  it.skipIf(inNode)('loads brotli-wasm by default (dynamic import)', async () => {
    const alg = brotli();
    const compressed = await (alg.compress as (d: Uint8Array) => Promise<Uint8Array>)(chain);
    expect(equalBytes(await alg.decompress(compressed, chain.length), chain)).toBe(true);
  });

  it.skipIf(!inNode)(
    "fails with CONFIG in Node without loadBrotliNode (web build's fetch)",
    async () => {
      expect(await codeOf(brotli().decompress(new Uint8Array([1]), 1))).toBe('CONFIG');
    },
  );
});

describe('zstd (RFC 8879 zstd(3), fzstd, decompress-only)', () => {
  it('has no compressor', () => {
    expect(zstd().id).toBe(3);
    expect(zstd().compress).toBeUndefined();
  });

  it('decompresses a chain compressed by the zstd CLI', async () => {
    const fixture = fromBase64(zstdChainBase64);
    expect(equalBytes(await zstd().decompress(fixture, chain.length), chain)).toBe(true);
  });

  it('fails when the output is shorter or longer than declared', async () => {
    const fixture = fromBase64(zstdChainBase64);
    expect(await codeOf(zstd().decompress(fixture, chain.length + 1))).toBe('BAD_CERTIFICATE');
    expect(await codeOf(zstd().decompress(fixture, chain.length - 1))).toBe('BAD_CERTIFICATE');
    // Without a declared content size, the decoder itself runs past the declared length.
    const zeros = zstdRleZeros(256 * 1024);
    expect(await codeOf(zstd().decompress(zeros, 256 * 1024 - 1))).toBe('BAD_CERTIFICATE');
    expect(await codeOf(zstd().decompress(zeros, 256 * 1024 + 1))).toBe('BAD_CERTIFICATE');
    expect((await zstd().decompress(zeros, 256 * 1024)).every((b) => b === 0)).toBe(true);
  });

  it('fails on malformed, truncated or trailing input', async () => {
    const fixture = fromBase64(zstdChainBase64);
    const bad = (data: Uint8Array) => codeOf(zstd().decompress(data, chain.length));
    expect(await bad(fixture.subarray(0, fixture.length - 10))).toBe('BAD_CERTIFICATE');
    expect(await bad(new Uint8Array([...fixture, 1, 2, 3]))).toBe('BAD_CERTIFICATE');
    expect(await bad(chain)).toBe('BAD_CERTIFICATE');
    expect(await bad(new Uint8Array(0))).toBe('BAD_CERTIFICATE');
    // A compressed block whose content is garbage.
    const garbage = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38, 0x25, 0x00, 0x00]);
    expect(await bad(new Uint8Array([...garbage, 0xff, 0xff, 0xff, 0xff]))).toBe('BAD_CERTIFICATE');
  });

  it("verifies each frame's content checksum (XXH64) and decodes consecutive frames", async () => {
    // XXH64 reference values, seed 0.
    expect(xxh64(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(xxh64(new TextEncoder().encode('abc'))).toBe(0x44bc2cf5ad770999n);
    const fixture = fromBase64(zstdChainBase64);
    const badSum = fixture.slice();
    badSum[badSum.length - 1] ^= 0x01;
    expect(() => zstdDecompressBounded(badSum, chain.length)).toThrow(/checksum/);
    const twice = await zstd().decompress(
      new Uint8Array([...fixture, ...fixture]),
      2 * chain.length,
    );
    expect(equalBytes(twice, new Uint8Array([...chain, ...chain]))).toBe(true);
  });

  it('stops a 1 GiB bomb after one 128 KiB block', () => {
    const bomb = zstdRleZeros(GiB);
    expect(bomb.length).toBe(6 + 4 * 8192);
    const p = probe();
    expect(() => zstdDecompressBounded(bomb, chain.length, p)).toThrow(TlsError);
    expect(p.output().produced).toBe(128 * 1024);
  });

  it('rejects a frame asking for a 2 GiB window before decoding', () => {
    const p = probe();
    expect(() => zstdDecompressBounded(zstdRleZeros(1024, 21 << 3), 1024, p)).toThrow(/window/);
    expect(p.output().produced).toBe(0);
  });

  it('rejects a declared content size above the declared length before decoding', () => {
    const fixture = fromBase64(zstdChainBase64);
    const p = probe();
    expect(() => zstdDecompressBounded(fixture, chain.length - 1, p)).toThrow(/declares/);
    expect(p.output().produced).toBe(0);
  });
});

describe('CompressedChainCache', () => {
  /** zlib, counting compressions. */
  function counting(): { alg: CertCompressionAlgorithm; count(): number } {
    let n = 0;
    const alg: CertCompressionAlgorithm = {
      id: 1,
      name: 'zlib',
      compress: (data) => {
        n++;
        return (zlib.compress as (d: Uint8Array) => Promise<Uint8Array>)(data);
      },
      decompress: zlib.decompress,
    };
    return { alg, count: () => n };
  }

  it('compresses a chain once per algorithm, shared by concurrent handshakes', async () => {
    const cache = new CompressedChainCache();
    const key = {};
    const { alg, count } = counting();
    let encoded = 0;
    const encode = () => {
      encoded++;
      return chain;
    };
    const [a, b] = await Promise.all([cache.get(key, alg, encode), cache.get(key, alg, encode)]);
    expect(a).toBe(b);
    expect(count()).toBe(1);
    expect(encoded).toBe(1);
    expect(a.uncompressedLength).toBe(chain.length);
    expect(equalBytes(await zlib.decompress(a.compressed, a.uncompressedLength), chain)).toBe(true);
    expect(await cache.get(key, alg, encode)).toBe(a);
    expect(count()).toBe(1);

    const other = counting();
    await cache.get(key, other.alg, encode);
    await cache.get({}, alg, encode);
    expect(other.count()).toBe(1);
    expect(count()).toBe(2);
  });

  it('forgets a failed compression and refuses an algorithm that cannot compress', async () => {
    const cache = new CompressedChainCache();
    const key = {};
    let fail = true;
    const flaky: CertCompressionAlgorithm = {
      id: 1,
      name: 'zlib',
      compress: async (data) => {
        if (fail) throw new TlsError('INTERNAL_ERROR', 'tls: test failure');
        return data;
      },
      decompress: zlib.decompress,
    };
    expect(await codeOf(cache.get(key, flaky, () => chain))).toBe('INTERNAL_ERROR');
    fail = false;
    expect((await cache.get(key, flaky, () => chain)).compressed).toBe(chain);
    expect(await codeOf(cache.get(key, zstd(), () => chain))).toBe('CONFIG');
  });
});

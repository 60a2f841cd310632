/**
 * Mutations for the fuzzer: bit flips, byte sets, inserts and deletes, length-field tweaks and
 * splicing with another corpus entry, driven by a seeded PRNG so a run is reproducible.
 */

/** mulberry32: a small seeded PRNG; returns integers in [0, n). */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x40];

/** Applies 1..4 random mutations to a copy of `input`; `other` is a splice partner. */
export function mutate(
  input: Uint8Array,
  other: Uint8Array,
  rand: (n: number) => number,
  maxLength: number,
): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 + rand(4);
  for (let i = 0; i < rounds; i++) b = mutateOnce(b, other, rand);
  return b.length > maxLength ? b.subarray(0, maxLength) : b;
}

function mutateOnce(b: Uint8Array, other: Uint8Array, rand: (n: number) => number): Uint8Array {
  const at = b.length === 0 ? 0 : rand(b.length);
  switch (rand(9)) {
    case 0: // flip one bit
      if (b.length > 0) b[at] ^= 1 << rand(8);
      return b;
    case 1: // an interesting or random byte
      if (b.length > 0) b[at] = rand(2) ? INTERESTING[rand(INTERESTING.length)] : rand(256);
      return b;
    case 2: {
      // insert 1..8 random bytes
      const n = 1 + rand(8);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = rand(256);
      out.set(b.subarray(at), at + n);
      return out;
    }
    case 3: {
      // delete a range
      const n = 1 + rand(Math.min(16, Math.max(1, b.length - at)));
      const out = new Uint8Array(Math.max(0, b.length - n));
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + n), at);
      return out;
    }
    case 4:
    case 5: {
      // a length field: treat 1..3 bytes at `at` as big-endian, nudge or set to an edge value
      const width = 1 + rand(3);
      if (at + width > b.length) return b;
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + b[at + i];
      const max = 2 ** (8 * width) - 1;
      const choice = rand(4);
      v = choice === 0 ? v + 1 + rand(4) : choice === 1 ? v - 1 - rand(4) : choice === 2 ? 0 : max;
      v = Math.min(max, Math.max(0, v));
      for (let i = width - 1; i >= 0; i--) {
        b[at + i] = v & 0xff;
        v = Math.floor(v / 256);
      }
      return b;
    }
    case 6: {
      // splice: our head, the other's tail
      const cut = rand(other.length + 1);
      const out = new Uint8Array(at + other.length - cut);
      out.set(b.subarray(0, at));
      out.set(other.subarray(cut), at);
      return out;
    }
    case 7: {
      // duplicate a range in place
      const n = 1 + rand(Math.min(32, Math.max(1, b.length - at)));
      const piece = b.slice(at, at + n);
      const out = new Uint8Array(b.length + piece.length);
      out.set(b.subarray(0, at + piece.length));
      out.set(piece, at + piece.length);
      out.set(b.subarray(at + piece.length), at + 2 * piece.length);
      return out;
    }
    default: {
      // overwrite a few bytes with random ones
      const n = Math.min(1 + rand(8), b.length - at);
      for (let i = 0; i < n; i++) b[at + i] = rand(256);
      return b;
    }
  }
}

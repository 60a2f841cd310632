import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/codec/reader.ts';
import { concat, Writer } from '../../src/codec/writer.ts';
import { TlsError } from '../../src/error.ts';
import { AlertDescription } from '../../src/msgs/enums.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';

/** Runs `fn`, which must throw; returns the TlsError it threw (and fails on any other throw). */
function decodeFailure(fn: () => unknown): TlsError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TlsError);
  const error = thrown as TlsError;
  expect(error.code).toBe('DECODE_ERROR');
  expect(error.layer).toBe('codec');
  expect(error.alert).toBe(AlertDescription.decode_error);
  expect(error.message.startsWith('tls: ')).toBe(true);
  return error;
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

describe('Reader: reads past the end', () => {
  // Each case reads one field from input that is one byte (or more) too short for it.
  const cases: [string, Uint8Array, (r: Reader) => unknown, string][] = [
    ['u8 of nothing', bytes(), (r) => r.u8('legacy_compression'), 'needed 1 bytes, 0 left'],
    ['u16 of 1 byte', bytes(0x13), (r) => r.u16('cipher_suite'), 'needed 2 bytes, 1 left'],
    ['u24 of 2 bytes', bytes(0, 1), (r) => r.u24('handshake length'), 'needed 3 bytes, 2 left'],
    ['u32 of 3 bytes', bytes(0, 0, 1), (r) => r.u32('ticket_lifetime'), 'needed 4 bytes, 3 left'],
    [
      'bytes(32) of 31',
      new Uint8Array(31),
      (r) => r.bytes(32, 'random'),
      'needed 32 bytes, 31 left',
    ],
    ['vec8 without prefix', bytes(), (r) => r.vec8('legacy_session_id'), 'needed 1 bytes'],
    [
      'vec8 short body',
      bytes(3, 1, 2),
      (r) => r.vec8('legacy_session_id'),
      'needed 3 bytes, 2 left',
    ],
    ['vec16 half prefix', bytes(0), (r) => r.vec16('cipher_suites'), 'needed 2 bytes, 1 left'],
    [
      'vec16 short body',
      bytes(0, 4, 1, 2, 3),
      (r) => r.vec16('extensions'),
      'needed 4 bytes, 3 left',
    ],
    ['vec24 partial prefix', bytes(0, 0), (r) => r.vec24('cert_data'), 'needed 3 bytes, 2 left'],
    ['vec24 short body', bytes(0, 0, 2, 9), (r) => r.vec24('cert_data'), 'needed 2 bytes, 1 left'],
    ['sub short body', bytes(0, 5, 1), (r) => r.sub(2, 'key_share'), 'needed 5 bytes, 1 left'],
    [
      'u16List short body',
      bytes(0, 4, 0, 0x1d),
      (r) => r.u16List(2, 'supported_groups'),
      'needed 4 bytes, 2 left',
    ],
  ];

  it.each(cases)('%s throws DECODE_ERROR naming the field', (_name, input, read, detail) => {
    const error = decodeFailure(() => read(new Reader(input)));
    const field = /truncated (.+): needed/.exec(error.message)?.[1];
    expect(field).toBeDefined();
    expect(error.message).toContain(`truncated ${field}`);
    expect(error.message).toContain(detail);
  });

  it('names the field given by the caller, not a fixed label', () => {
    const a = decodeFailure(() => new Reader(bytes()).u16('alpha'));
    const b = decodeFailure(() => new Reader(bytes()).u16('beta'));
    expect(a.message).toContain('alpha');
    expect(b.message).toContain('beta');
    expect(a.message).not.toContain('beta');
  });

  it('a failed fixed-size read consumes nothing', () => {
    const r = new Reader(bytes(1, 2, 3));
    decodeFailure(() => r.u32('value'));
    expect(r.position).toBe(0);
    expect(r.u24('value')).toBe(0x010203);
    expect(r.done).toBe(true);
  });
});

describe('Reader: integers', () => {
  it('reads big-endian u8, u16, u24 and u32 in sequence', () => {
    const r = new Reader(fromHex('01 0203 040506 0708090a'));
    expect(r.u8('a')).toBe(0x01);
    expect(r.u16('b')).toBe(0x0203);
    expect(r.u24('c')).toBe(0x040506);
    expect(r.u32('d')).toBe(0x0708090a);
    expect(r.done).toBe(true);
    expect(r.remaining).toBe(0);
  });

  it.each([
    ['80000000', 2 ** 31],
    ['80000001', 2 ** 31 + 1],
    ['fedcba98', 0xfedcba98],
    ['ffffffff', 2 ** 32 - 1],
    ['7fffffff', 2 ** 31 - 1],
  ])('u32 %s reads as the unsigned value %d', (hex, value) => {
    const v = new Reader(fromHex(hex)).u32('ticket_age_add');
    expect(v).toBe(value);
    expect(v).toBeGreaterThanOrEqual(0);
  });

  it('u24 and u16 of all-ones are unsigned', () => {
    expect(new Reader(fromHex('ffffff')).u24('len')).toBe(0xffffff);
    expect(new Reader(fromHex('ffff')).u16('len')).toBe(0xffff);
  });
});

describe('Reader: vectors', () => {
  it('returns the body of each prefix width as a view into the input', () => {
    const input = fromHex('02 aabb 0003 ccddee 000001 ff');
    const r = new Reader(input);
    const a = r.vec8('a');
    const b = r.vec16('b');
    const c = r.vec24('c');
    r.end('vectors');
    expect(toHex(a)).toBe('aabb');
    expect(toHex(b)).toBe('ccddee');
    expect(toHex(c)).toBe('ff');
    expect(b.buffer).toBe(input.buffer);
    expect(b.byteOffset).toBe(5);
  });

  it('accepts lengths exactly at min and max', () => {
    expect(new Reader(fromHex('02 0102')).vec8('f', 2, 2)).toHaveLength(2);
    expect(new Reader(fromHex('0000')).vec16('f', 0, 0)).toHaveLength(0);
    expect(new Reader(fromHex('000020' + '00'.repeat(32))).vec24('f', 1, 32)).toHaveLength(32);
  });

  it('rejects a length above max before reading the body', () => {
    // RFC 8446 §4.1.2: legacy_session_id<0..32>. The body is present; the length is what fails.
    const error = decodeFailure(() =>
      new Reader(concat(bytes(33), new Uint8Array(33))).vec8('legacy_session_id', 0, 32),
    );
    expect(error.message).toContain('legacy_session_id length 33 outside [0, 32]');
  });

  it('rejects a length below min', () => {
    // RFC 8446 §4.1.2: cipher_suites<2..2^16-2>.
    const error = decodeFailure(() => new Reader(fromHex('0000')).vec16('cipher_suites', 2));
    expect(error.message).toContain('cipher_suites length 0 outside [2, 65535]');
    const sub = decodeFailure(() => new Reader(fromHex('01 00')).sub(1, 'group', 2, 4));
    expect(sub.message).toContain('group length 1 outside [2, 4]');
  });

  it('defaults max to the largest length the prefix can carry', () => {
    const error = decodeFailure(() => new Reader(fromHex('ffffff 00')).vec24('certificate'));
    expect(error.message).toContain('truncated certificate: needed 16777215 bytes, 1 left');
  });

  it('sub() reads a nested structure and end() checks it was consumed', () => {
    const r = new Reader(fromHex('0006 001d 0002 abcd 17'));
    const shares = r.sub(2, 'client_shares');
    expect(shares.u16('group')).toBe(0x001d);
    expect(toHex(shares.vec16('key_exchange', 1))).toBe('abcd');
    shares.end('client_shares');
    expect(r.u8('next')).toBe(0x17);
    r.end('message');
  });

  it('u16List reads big-endian values and rejects an odd byte length', () => {
    expect(new Reader(fromHex('0006 001d 0017 11ec')).u16List(2, 'groups')).toEqual([
      0x001d, 0x0017, 0x11ec,
    ]);
    expect(new Reader(fromHex('04 1301 1302')).u16List(1, 'suites')).toEqual([0x1301, 0x1302]);
    const odd = decodeFailure(() => new Reader(fromHex('0003 001d 00')).u16List(2, 'groups'));
    expect(odd.message).toContain('groups has an odd length');
    const short = decodeFailure(() => new Reader(fromHex('0000')).u16List(2, 'sig_algs', 2));
    expect(short.message).toContain('sig_algs length 0 outside');
  });

  it('rest() returns every remaining byte and leaves the reader done', () => {
    const r = new Reader(fromHex('01 020304'));
    r.u8('first');
    expect(toHex(r.rest())).toBe('020304');
    expect(r.done).toBe(true);
    expect(r.rest()).toHaveLength(0);
  });
});

describe('Reader: end()', () => {
  it('rejects trailing bytes, naming the structure and the count', () => {
    const r = new Reader(fromHex('0303 aabb'));
    r.u16('legacy_version');
    const error = decodeFailure(() => r.end('ServerHello'));
    expect(error.message).toContain('2 trailing bytes after ServerHello');
  });

  it('rejects trailing bytes inside a sub-vector even when the outer reader is done', () => {
    const r = new Reader(fromHex('0003 001d ff'));
    const inner = r.sub(2, 'supported_groups');
    inner.u16('group');
    r.end('extension');
    const error = decodeFailure(() => inner.end('supported_groups'));
    expect(error.message).toContain('1 trailing bytes after supported_groups');
  });

  it('accepts a fully consumed reader, including an empty one', () => {
    expect(() => new Reader(new Uint8Array(0)).end('empty')).not.toThrow();
    const r = new Reader(fromHex('00'));
    r.u8('x');
    expect(() => r.end('one')).not.toThrow();
  });
});

describe('Writer', () => {
  it('writes big-endian integers', () => {
    const out = new Writer().u8(0x01).u16(0x0203).u24(0x040506).u32(0xfedcba98).finish();
    expect(toHex(out)).toBe('01' + '0203' + '040506' + 'fedcba98');
  });

  it('grows past its initial capacity without losing data', () => {
    const w = new Writer(1);
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    w.u8(0xaa).bytes(data).u16(0xbbcc);
    const out = w.finish();
    expect(out).toHaveLength(1003);
    expect(w.length).toBe(1003);
    expect(out[0]).toBe(0xaa);
    expect(out.subarray(1, 1001)).toEqual(data);
    expect(toHex(out.subarray(1001))).toBe('bbcc');
  });

  it('back-patches nested vector lengths (a key_share extension)', () => {
    // RFC 8446 §4.2.8: KeyShareClientHello { KeyShareEntry client_shares<0..2^16-1>; } inside an
    // Extension { extension_type; opaque extension_data<0..2^16-1>; }.
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const out = new Writer(4)
      .u16(51)
      .vec(2, (ext) =>
        ext.vec(2, (shares) => {
          shares.u16(0x001d).vec16(key);
          shares.u16(0x0017).vec(2, () => {});
        }),
      )
      .finish();
    const expected = '0033' + '002a' + '0028' + '001d' + '0020' + toHex(key) + '0017' + '0000';
    expect(toHex(out)).toBe(expected);
  });

  it('patches each prefix width, including an empty body', () => {
    const out = new Writer()
      .vec8(new Uint8Array(0))
      .vec16(bytes(1))
      .vec24(bytes(2, 3))
      .vec(1, (w) => w.vec(3, (x) => x.u8(9)))
      .finish();
    expect(toHex(out)).toBe('00' + '000101' + '0000020203' + '04' + '00000109');
  });

  it('writes u16 lists with a byte-length prefix', () => {
    expect(toHex(new Writer().u16List(2, [0x1d, 0x17]).finish())).toBe('0004001d0017');
    expect(toHex(new Writer().u16List(1, [0x0304]).finish())).toBe('020304');
  });

  it.each([
    [1, 255],
    [2, 65535],
  ] as const)('a %i-byte prefix holds %i bytes and throws one byte later', (prefix, max) => {
    const fits = new Writer().vec(prefix, (w) => w.bytes(new Uint8Array(max))).finish();
    expect(fits).toHaveLength(prefix + max);
    expect(() => new Writer().vec(prefix, (w) => w.bytes(new Uint8Array(max + 1)))).toThrow(
      `vector of ${max + 1} bytes overflows prefix`,
    );
  });

  it('a 3-byte prefix overflow throws', () => {
    expect(() => new Writer().vec24(new Uint8Array(2 ** 24))).toThrow(/overflows prefix/);
  });

  it('an outer vector that outgrows its prefix throws even when each inner one fits', () => {
    const chunk = new Uint8Array(200);
    expect(() =>
      new Writer().vec(1, (w) => {
        w.vec8(chunk);
        w.vec8(chunk);
      }),
    ).toThrow(/overflows prefix/);
  });

  it('finish() returns a copy that later writes do not change', () => {
    const w = new Writer().u8(1);
    const first = w.finish();
    w.u8(2);
    expect(toHex(first)).toBe('01');
    expect(toHex(w.finish())).toBe('0102');
  });

  it('concat joins parts in order', () => {
    expect(toHex(concat())).toBe('');
    expect(toHex(concat(bytes(1), new Uint8Array(0), bytes(2, 3)))).toBe('010203');
  });
});

// A random structure: integers, opaque blobs, and vectors of structures.
type Node =
  | { kind: 'u8' | 'u16' | 'u24' | 'u32'; value: number }
  | { kind: 'raw'; data: Uint8Array }
  | { kind: 'opaque'; prefix: 1 | 2 | 3; data: Uint8Array }
  | { kind: 'vec'; prefix: 1 | 2 | 3; items: Node[] };

function encodedSize(node: Node): number {
  switch (node.kind) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u24':
      return 3;
    case 'u32':
      return 4;
    case 'raw':
      return node.data.length;
    case 'opaque':
      return node.prefix + node.data.length;
    case 'vec':
      return node.prefix + node.items.reduce((n, item) => n + encodedSize(item), 0);
  }
}

/** The smallest prefix width that can carry `n` bytes. */
function prefixFor(n: number): 1 | 2 | 3 {
  return n < 256 ? 1 : n < 65536 ? 2 : 3;
}

function widen(prefix: 1 | 2 | 3, bodySize: number): 1 | 2 | 3 {
  return Math.max(prefix, prefixFor(bodySize)) as 1 | 2 | 3;
}

const prefixArb = fc.constantFrom<1 | 2 | 3>(1, 2, 3);
const leafArb: fc.Arbitrary<Node> = fc.oneof(
  fc.record({ kind: fc.constant('u8' as const), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ kind: fc.constant('u16' as const), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ kind: fc.constant('u24' as const), value: fc.integer({ min: 0, max: 0xffffff }) }),
  fc.record({ kind: fc.constant('u32' as const), value: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }),
  fc.record({ kind: fc.constant('raw' as const), data: fc.uint8Array({ maxLength: 40 }) }),
  fc
    .record({ prefix: prefixArb, data: fc.uint8Array({ maxLength: 300 }) })
    .map(
      ({ prefix, data }): Node => ({ kind: 'opaque', prefix: widen(prefix, data.length), data }),
    ),
);
const { node: nodeArb } = fc.letrec<{ node: Node; vec: Node }>((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leafArb, tie('vec')),
  vec: fc
    .record({ prefix: prefixArb, items: fc.array(tie('node'), { maxLength: 5 }) })
    .map(({ prefix, items }): Node => {
      const body = items.reduce((n, item) => n + encodedSize(item), 0);
      return { kind: 'vec', prefix: widen(prefix, body), items };
    }),
}));

function writeNode(w: Writer, node: Node): void {
  switch (node.kind) {
    case 'u8':
      w.u8(node.value);
      return;
    case 'u16':
      w.u16(node.value);
      return;
    case 'u24':
      w.u24(node.value);
      return;
    case 'u32':
      w.u32(node.value);
      return;
    case 'raw':
      w.bytes(node.data);
      return;
    case 'opaque':
      if (node.prefix === 1) w.vec8(node.data);
      else if (node.prefix === 2) w.vec16(node.data);
      else w.vec24(node.data);
      return;
    case 'vec':
      w.vec(node.prefix, (inner) => {
        for (const item of node.items) writeNode(inner, item);
      });
  }
}

/** Reads back a structure of the same shape as `shape`, returning what was on the wire. */
function readNode(r: Reader, shape: Node): Node {
  switch (shape.kind) {
    case 'u8':
      return { kind: 'u8', value: r.u8('u8') };
    case 'u16':
      return { kind: 'u16', value: r.u16('u16') };
    case 'u24':
      return { kind: 'u24', value: r.u24('u24') };
    case 'u32':
      return { kind: 'u32', value: r.u32('u32') };
    case 'raw':
      return { kind: 'raw', data: r.bytes(shape.data.length, 'raw') };
    case 'opaque': {
      const p = shape.prefix;
      const data = p === 1 ? r.vec8('opaque') : p === 2 ? r.vec16('opaque') : r.vec24('opaque');
      return { kind: 'opaque', prefix: p, data };
    }
    case 'vec': {
      const sub = r.sub(shape.prefix, 'vec');
      const items = shape.items.map((item) => readNode(sub, item));
      sub.end('vec');
      return { kind: 'vec', prefix: shape.prefix, items };
    }
  }
}

describe('Writer then Reader (property)', () => {
  it('round-trips random nested structures byte for byte', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { maxLength: 6 }), (nodes) => {
        const w = new Writer(8);
        for (const node of nodes) writeNode(w, node);
        const wire = w.finish();
        expect(wire).toHaveLength(nodes.reduce((n, node) => n + encodedSize(node), 0));

        const r = new Reader(wire);
        const back = nodes.map((node) => readNode(r, node));
        r.end('structure');
        expect(back).toEqual(nodes);
      }),
      { numRuns: 300 },
    );
  });
});

// One Reader operation, as data so fast-check prints a readable counterexample.
type Op =
  | { op: 'u8' | 'u16' | 'u24' | 'u32' | 'rest' | 'end' }
  | { op: 'bytes'; n: number }
  | { op: 'vec' | 'sub'; prefix: 1 | 2 | 3; min: number; max: number }
  | { op: 'u16List'; prefix: 1 | 2; min: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constantFrom<Op>(
    { op: 'u8' },
    { op: 'u16' },
    { op: 'u24' },
    { op: 'u32' },
    { op: 'rest' },
    { op: 'end' },
  ),
  fc.record({ op: fc.constant('bytes' as const), n: fc.nat({ max: 80 }) }),
  fc.record({
    op: fc.constantFrom('vec' as const, 'sub' as const),
    prefix: prefixArb,
    min: fc.nat({ max: 8 }),
    max: fc.nat({ max: 300 }),
  }),
  fc.record({
    op: fc.constant('u16List' as const),
    prefix: fc.constantFrom<1 | 2>(1, 2),
    min: fc.nat({ max: 8 }),
  }),
);

/** Applies `op`; returns the reader to continue with (a sub-reader after `sub`). */
function applyOp(r: Reader, op: Op): Reader {
  const before = r.remaining;
  switch (op.op) {
    case 'u8':
      expect(r.u8('f')).toBeLessThan(2 ** 8);
      break;
    case 'u16':
      expect(r.u16('f')).toBeLessThan(2 ** 16);
      break;
    case 'u24':
      expect(r.u24('f')).toBeLessThan(2 ** 24);
      break;
    case 'u32': {
      const v = r.u32('f');
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(2 ** 32);
      break;
    }
    case 'bytes':
      expect(r.bytes(op.n, 'f')).toHaveLength(op.n);
      break;
    case 'rest':
      expect(r.rest()).toHaveLength(before);
      break;
    case 'end':
      r.end('f');
      expect(before).toBe(0);
      break;
    case 'vec': {
      const body = r.vec(op.prefix, 'f', op.min, op.max);
      expect(body.length).toBeGreaterThanOrEqual(op.min);
      expect(body.length).toBeLessThanOrEqual(op.max);
      break;
    }
    case 'sub': {
      const sub = r.sub(op.prefix, 'f', op.min, op.max);
      expect(r.remaining).toBe(before - op.prefix - sub.remaining);
      return sub;
    }
    case 'u16List': {
      const list = r.u16List(op.prefix, 'f', op.min);
      expect(list.length * 2).toBeGreaterThanOrEqual(op.min);
      expect(r.remaining).toBe(before - op.prefix - 2 * list.length);
      break;
    }
  }
  expect(r.remaining).toBeGreaterThanOrEqual(0);
  expect(r.remaining).toBeLessThanOrEqual(before);
  return r;
}

describe('Reader over arbitrary bytes (property)', () => {
  it('every operation either succeeds within bounds or throws a DECODE_ERROR TlsError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 96 }),
        fc.array(opArb, { maxLength: 12 }),
        (input, ops) => {
          let r = new Reader(input);
          for (const op of ops) {
            try {
              r = applyOp(r, op);
            } catch (error) {
              // Assertion failures inside applyOp must surface as themselves.
              if (!(error instanceof TlsError)) throw error;
              expect(error.code).toBe('DECODE_ERROR');
              return;
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('every proper prefix of a valid encoding fails with DECODE_ERROR', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 4 }), fc.nat(), (nodes, cut) => {
        const w = new Writer();
        for (const node of nodes) writeNode(w, node);
        const wire = w.finish();
        fc.pre(wire.length > 0);
        const truncated = wire.subarray(0, cut % wire.length);
        decodeFailure(() => {
          const r = new Reader(truncated);
          for (const node of nodes) readNode(r, node);
          r.end('structure');
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a valid encoding with one byte changed decodes or throws only DECODE_ERROR', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (nodes, at, delta) => {
          const w = new Writer();
          for (const node of nodes) writeNode(w, node);
          const wire = w.finish();
          fc.pre(wire.length > 0);
          wire[at % wire.length] ^= delta;
          try {
            const r = new Reader(wire);
            for (const node of nodes) readNode(r, node);
            r.end('structure');
          } catch (error) {
            expect(error).toBeInstanceOf(TlsError);
            expect((error as TlsError).code).toBe('DECODE_ERROR');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

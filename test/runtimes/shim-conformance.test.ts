/**
 * Pins the vitest behaviour the shim (vitest-shim.ts) reproduces. It runs under vitest in Node
 * and under the shim in Deno and workerd, so a difference between them fails one of the runs.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const log: string[] = [];

describe('hooks', () => {
  beforeAll(() => {
    log.push('beforeAll outer');
    return () => void log.push('beforeAll outer cleanup');
  });
  afterAll(() => void log.push('afterAll outer'));
  beforeEach(() => void log.push('beforeEach outer'));
  afterEach(() => void log.push('afterEach outer'));

  it('first', () => void log.push('test first'));

  describe('inner', () => {
    beforeAll(() => void log.push('beforeAll inner'));
    afterAll(() => void log.push('afterAll inner'));
    beforeEach(() => void log.push('beforeEach inner'));
    afterEach(() => void log.push('afterEach inner'));
    it('second', () => void log.push('test second'));
    it.skip('skipped', () => void log.push('test skipped'));
  });
});

describe('after the hooks suite', () => {
  it('ran hooks in vitest order, each suite-level hook once', () => {
    expect(log).toEqual([
      'beforeAll outer',
      'beforeEach outer',
      'test first',
      'afterEach outer',
      'beforeAll inner',
      'beforeEach outer',
      'beforeEach inner',
      'test second',
      'afterEach inner',
      'afterEach outer',
      'afterAll inner',
      'afterAll outer',
      'beforeAll outer cleanup',
    ]);
  });
});

describe('each', () => {
  const seen: unknown[][] = [];
  it.each([
    [1, 'a', { k: 1 }],
    [2, 'b', { k: 2 }],
  ])('spreads array cases %i %s', (n, s, o) => {
    seen.push([n, s, o]);
  });
  it.each([{ a: 3 }])('passes object cases whole ($a)', (item) => {
    seen.push([item]);
  });
  it.each([5])('passes primitive cases as one argument', (...args) => {
    seen.push(args);
  });
  it('called each body with its case', () => {
    expect(seen).toEqual([[1, 'a', { k: 1 }], [2, 'b', { k: 2 }], [{ a: 3 }], [5]]);
  });

  describe.each([
    ['x', 1],
    ['y', 2],
  ])('suite %s #%#', (name, n) => {
    it('gets its case and a formatted title', ({ task }) => {
      expect(task.fullTestName).toBe(
        `each > suite ${name} #${n - 1} > gets its case and a formatted title`,
      );
    });
  });

  it.each([[7, '%']])('formats %i, %j and %#', (_n, _s) => {
    expect(expect.getState().currentTestName).toBe('each > formats 7, "%" and 0');
  });
});

describe('failures', () => {
  it.fails('a failed assertion fails the test', () => {
    expect(1).toBe(2);
  });
  it.fails('expect.assertions(n) fails when fewer ran', () => {
    expect.assertions(2);
    expect(true).toBeTruthy();
  });
  it.fails('a rejected await fails the test', async () => {
    await expect(Promise.resolve(1)).rejects.toThrow();
  });
  it.fails('a test that never settles times out', () => new Promise<void>(() => {}), 50);
});

describe('matchers the unit suite relies on', () => {
  it('compare bytes, errors and objects as vitest does', async () => {
    expect(Uint8Array.from([1, 2])).toEqual(new Uint8Array([1, 2]));
    expect(Uint8Array.from([1, 2])).not.toEqual(new Uint8Array([1, 3]));
    expect(() => {
      throw new RangeError('tls: boom');
    }).toThrow(RangeError);
    expect(() => {
      throw new Error('tls: boom');
    }).toThrowError(/boom/);
    await expect(Promise.reject(new TypeError('x'))).rejects.toBeInstanceOf(TypeError);
    await expect(Promise.resolve(3)).resolves.toBe(3);
    expect({ a: 1, b: { c: 2 } }).toMatchObject({ b: { c: 2 } });
    expect({ a: undefined }).not.toStrictEqual({});
    expect([1, 2, 3]).toHaveLength(3);
    expect([1, 2, 3]).toContain(2);
    expect(2).toBeGreaterThan(1);
    expect(2).toBeLessThanOrEqual(2);
    expect(null).toBeNull();
    expect(undefined).toBeUndefined();
    expect(0).toBeDefined();
    expect('').toBeFalsy();
    expect({ x: 1 }).toEqual({ x: expect.any(Number) });
  });
});

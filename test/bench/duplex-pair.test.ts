/**
 * The benchmarks' in-memory link: bytes cross in order, on a later turn of the event loop, and
 * with a one-way delay no sooner than that delay (the 0-RTT bench's simulated link).
 */
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { duplexPair } from '../../bench/lib/duplex-pair.ts';

/** Everything `end` receives, as a string, as it arrives. */
function collect(end: Duplex): { text: () => string; ended: Promise<void> } {
  let text = '';
  end.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ended = new Promise<void>((resolve) => end.on('end', resolve));
  return { text: () => text, ended };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('duplexPair', () => {
  it('delivers on a later turn, in order, both ways', async () => {
    const [a, b] = duplexPair();
    const atB = collect(b);
    const atA = collect(a);
    a.write('one ');
    a.write('two');
    b.write('back');
    expect(atB.text()).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(atB.text()).toBe('one two');
    expect(atA.text()).toBe('back');
  });

  it('with a delay, holds every chunk and the end back that long, keeping their order', async () => {
    const delays: number[] = [];
    const start = performance.now();
    const [a, b] = duplexPair(() => delays.push(performance.now() - start), 40);
    const atB = collect(b);
    for (const word of ['a', 'b', 'c', 'd']) a.write(word);
    a.end();
    await sleep(10);
    expect(atB.text()).toBe('');
    await atB.ended;
    expect(atB.text()).toBe('abcd');
    expect(delays).toHaveLength(4);
    // Timers may fire a millisecond early by the clock's rounding, never a delay early.
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(39);
  });
});

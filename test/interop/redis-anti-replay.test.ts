/**
 * RedisAntiReplayStore against a real redis-server on loopback: one claim per key, atomic across
 * connections, keys expire with their TTL, and an unreachable Redis rejects the claim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { RedisAntiReplayStore } from '../../src/sessions/redis-anti-replay.ts';
import { connectRedis, type RedisServer, startRedis } from './peers/redis.ts';
import { requirePeer } from './peers/require.ts';

const RACE_ROUNDS = 50;

describe.skipIf(!requirePeer('redis-server'))('RedisAntiReplayStore with redis-server', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('accepts the first claim of a key and refuses the second', async () => {
    const store = new RedisAntiReplayStore(redis.command);
    expect(await store.claim('ticket-a', 60_000)).toBe(true);
    expect(await store.claim('ticket-a', 60_000)).toBe(false);
    expect(await store.claim('ticket-b', 60_000)).toBe(true);
  });

  it('stores the key under the prefix with the TTL it was given', async () => {
    const store = new RedisAntiReplayStore(redis.command, { prefix: 'test:prefix:' });
    expect(await store.claim('ticket-c', 30_000)).toBe(true);
    expect(await redis.command(['GET', 'test:prefix:ticket-c'])).toBe('1');
    const pttl = (await redis.command(['PTTL', 'test:prefix:ticket-c'])) as number;
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    // Another prefix is another namespace.
    expect(await new RedisAntiReplayStore(redis.command).claim('ticket-c', 30_000)).toBe(true);
  });

  it('lets exactly one of two connections win a concurrent claim', async () => {
    const a = await redis.connect();
    const b = await redis.connect();
    const storeA = new RedisAntiReplayStore(a.command);
    const storeB = new RedisAntiReplayStore(b.command);
    let winsA = 0;
    let winsB = 0;
    for (let i = 0; i < RACE_ROUNDS; i++) {
      const key = `race-${i}`;
      const [ra, rb] = await Promise.all([storeA.claim(key, 60_000), storeB.claim(key, 60_000)]);
      expect([ra, rb].filter(Boolean)).toHaveLength(1);
      if (ra) winsA++;
      if (rb) winsB++;
    }
    expect(winsA + winsB).toBe(RACE_ROUNDS);
    a.close();
    b.close();
  });

  it('makes a key claimable again once its TTL has passed', async () => {
    const store = new RedisAntiReplayStore(redis.command);
    // Long enough that a loaded machine cannot let it lapse between the first two claims.
    expect(await store.claim('short', 1000)).toBe(true);
    expect(await store.claim('short', 60_000)).toBe(false);
    const deadline = Date.now() + 5_000;
    let again = false;
    while (!again && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      again = await store.claim('short', 60_000);
    }
    expect(again).toBe(true);
    expect(await store.claim('short', 60_000)).toBe(false);
  });

  it('rounds a zero or fractional TTL up and refuses a TTL that is not finite', async () => {
    const store = new RedisAntiReplayStore(redis.command);
    expect(await store.claim('zero-ttl', 0)).toBe(true);
    expect(await store.claim('fraction-ttl', 0.4)).toBe(true);
    await expect(store.claim('nan-ttl', Number.NaN)).rejects.toThrow(TlsError);
    await expect(store.claim('inf-ttl', Number.POSITIVE_INFINITY)).rejects.toThrow(TlsError);
  });

  it('rejects the claim when Redis answers with an error', async () => {
    // A command function that mangles the command, as a misconfigured client would: Redis sends
    // an error reply, and the claim must reject rather than resolve.
    const store = new RedisAntiReplayStore((args) => redis.command(['NOSUCHCOMMAND', ...args]));
    await expect(store.claim('error', 1000)).rejects.toThrow(/unknown command/i);
  });

  it('rejects the claim when the server is gone (fails closed)', async () => {
    const own = await startRedis();
    const extra = await own.connect();
    const store = new RedisAntiReplayStore(own.command);
    const storeExtra = new RedisAntiReplayStore(extra.command);
    expect(await store.claim('before', 60_000)).toBe(true);
    await own.stop();
    await expect(store.claim('after', 60_000)).rejects.toThrow();
    await expect(storeExtra.claim('after', 60_000)).rejects.toThrow();
    // A fresh connection to the dead port is refused, and the claim rejects too.
    const fresh = new RedisAntiReplayStore(async (args) => {
      const c = await connectRedis(own.port);
      try {
        return await c.command(args);
      } finally {
        c.close();
      }
    });
    await expect(fresh.claim('after', 60_000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

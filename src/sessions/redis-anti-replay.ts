import { TlsError } from '../error.ts';
import { fromUtf8 } from '../util/bytes.ts';
import type { AntiReplayStore } from './anti-replay.ts';

/**
 * Sends one Redis command (`['SET', key, ...]`) and resolves with its reply, or rejects when the
 * server cannot be reached or answers with an error. Any client fits:
 * node-redis `(args) => client.sendCommand(args)`, ioredis `(args) => client.call(...args)`.
 */
export type RedisCommand = (args: string[]) => Promise<unknown>;

/** Options of a {@link RedisAntiReplayStore}. */
export interface RedisAntiReplayStoreOptions {
  /** Prepended to every claimed key (default `webtls:0rtt:`), so the keys share a namespace. */
  prefix?: string;
}

/**
 * An {@link AntiReplayStore} in Redis, shared by every server of a fleet that points at the same
 * Redis (a primary: a replica may lag, and a claim read from one could accept a replay).
 *
 * A claim is one `SET key 1 NX PX ttl`: Redis sets the key only when it is absent and gives it
 * the TTL in the same command, so two servers claiming the same ticket at once cannot both win,
 * and the key goes away by itself when the ticket could no longer be accepted anyway (RFC 8446
 * §8: the freshness window bounds what must be remembered).
 *
 * It fails closed: a claim is won only on the reply `OK`. A missing reply (the key exists) loses,
 * and a command that throws (connection refused, timeout, an error reply) rejects the claim's
 * promise, which the server treats as "reject the early data". Give the client a command timeout,
 * or a stalled Redis stalls the handshakes that offer early data.
 */
export class RedisAntiReplayStore implements AntiReplayStore {
  private readonly command: RedisCommand;
  private readonly prefix: string;

  constructor(command: RedisCommand, options: RedisAntiReplayStoreOptions = {}) {
    this.command = command;
    this.prefix = options.prefix ?? 'webtls:0rtt:';
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    // A TTL that is not a number could only shorten the record: refuse the claim instead.
    if (!Number.isFinite(ttlMs)) {
      throw new TlsError('INTERNAL_ERROR', `tls: anti-replay TTL ${ttlMs} is not finite`, {
        layer: 'app',
      });
    }
    // PX takes a positive integer; a zero or fractional TTL is rounded up to a whole millisecond.
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const reply = await this.command(['SET', this.prefix + key, '1', 'NX', 'PX', String(ttl)]);
    return isOk(reply);
  }
}

/** Whether a reply is the simple string `OK`, as a string or as raw bytes. */
function isOk(reply: unknown): boolean {
  if (typeof reply === 'string') return reply === 'OK';
  if (reply instanceof Uint8Array) return fromUtf8(reply) === 'OK';
  return false;
}

import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { equalBytes, utf8 } from '../util/bytes.ts';

/**
 * Server-side session tickets (RFC 5077 for TLS 1.2; the same sealing serves RFC 8446 §4.6.1):
 * the server's session state, encrypted and authenticated under a key only the server (or its
 * fleet) holds, so the server keeps nothing per session.
 */

/** Seals session state into tickets and opens them again. */
export interface Ticketer {
  /** How long a ticket stays valid, in seconds (sent as the lifetime hint). */
  readonly lifetimeSeconds: number;
  /** Encrypts `state` into a ticket. */
  seal(state: Uint8Array, provider: CryptoProvider): Promise<Uint8Array>;
  /**
   * Decrypts a ticket. Undefined when it is not ours, was tampered with, its key has rotated
   * out, or it is older than the lifetime: the server then falls back to a full handshake.
   */
  open(ticket: Uint8Array, provider: CryptoProvider): Promise<Uint8Array | undefined>;
}

/** One ticket-encryption key: a 16-byte name (sent in the clear) and a 32-byte AES key. */
export interface TicketKey {
  name: Uint8Array;
  key: Uint8Array;
}

/**
 * Where a {@link AeadTicketer} gets its keys. Implement it to share keys across a fleet (from a
 * secret store, or with {@link derivedTicketKeys}); every server that can open a ticket can
 * resume its session.
 */
export interface TicketKeySource {
  /** The key to seal with at `now` (ms), and every key still accepted for opening. */
  keys(now: number): Promise<{ current: TicketKey; accepted: readonly TicketKey[] }>;
}

const NAME_LENGTH = 16;
const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** Clock skew tolerated between fleet members for a ticket's issue time. */
const SKEW_MS = 60_000;

/**
 * Random keys made in memory, a new one every `rotateSeconds`; the previous key still opens
 * tickets, so a ticket stays openable for between one and two rotation periods. For a single
 * server; a fleet needs a shared source.
 */
export class RotatingTicketKeys implements TicketKeySource {
  private epoch = -1;
  private current: TicketKey | undefined;
  private previous: TicketKey | undefined;

  constructor(
    private readonly provider: { random(n: number): Uint8Array },
    private readonly rotateSeconds = 7200,
  ) {}

  async keys(now: number): Promise<{ current: TicketKey; accepted: readonly TicketKey[] }> {
    const epoch = Math.floor(now / (this.rotateSeconds * 1000));
    if (epoch !== this.epoch || !this.current) {
      // Keep the old key only across one step: after a longer pause it is too old anyway.
      this.previous = epoch === this.epoch + 1 ? this.current : undefined;
      this.current = {
        name: this.provider.random(NAME_LENGTH),
        key: this.provider.random(KEY_LENGTH),
      };
      this.epoch = epoch;
    }
    const accepted = this.previous ? [this.current, this.previous] : [this.current];
    return { current: this.current, accepted };
  }
}

/**
 * Keys every server holding `secret` derives alike: the key of rotation period n is
 * HKDF-Expand(HKDF-Extract("webtls ticket keys", secret), "period " || n, 48), split into name
 * and key; periods n and n-1 are accepted. Servers need clocks within a minute of each other.
 * `secret` must be at least 32 random bytes and is as sensitive as every session it protects.
 */
export function derivedTicketKeys(
  provider: CryptoProvider,
  secret: Uint8Array,
  rotateSeconds = 7200,
): TicketKeySource {
  if (secret.length < 32) {
    throw new TlsError('CONFIG', 'tls: ticket key secret must be at least 32 bytes', {
      layer: 'config',
    });
  }
  const prk = provider.hkdfExtract('SHA-256', utf8('webtls ticket keys'), secret);
  const cache = new Map<number, Promise<TicketKey>>();
  const keyFor = (n: number) => {
    let key = cache.get(n);
    if (!key) {
      key = prk.then(async (p) => {
        const okm = await provider.hkdfExpand('SHA-256', p, utf8(`period ${n}`), 48);
        return { name: okm.slice(0, NAME_LENGTH), key: okm.slice(NAME_LENGTH) };
      });
      cache.set(n, key);
      for (const old of cache.keys()) if (old < n - 1) cache.delete(old);
    }
    return key;
  };
  return {
    async keys(now) {
      const n = Math.floor(now / (rotateSeconds * 1000));
      const [current, previous] = await Promise.all([keyFor(n), keyFor(n - 1)]);
      return { current, accepted: [current, previous] };
    },
  };
}

/** Options of {@link AeadTicketer}. */
export interface AeadTicketerOptions {
  /** Where keys come from (default: {@link RotatingTicketKeys} over `provider`). */
  keys?: TicketKeySource;
  /** The provider for the default key source's randomness. */
  provider?: { random(n: number): Uint8Array };
  /** Ticket lifetime in seconds (default 7200, OpenSSL's; at most 7 days). */
  lifetimeSeconds?: number;
  /** The clock, ms since the epoch (default Date.now); tests move it. */
  now?: () => number;
}

/*
 * Ticket layout (our own; RFC 5077 §4 recommends one like it and leaves the format to the
 * server):
 *
 *   struct {
 *       opaque key_name[16];
 *       uint32 issued_high; uint32 issued_low;    // ms since the epoch
 *       opaque nonce[12];
 *       opaque sealed_state<17..>;                // AES-256-GCM, tag appended
 *   } Ticket;
 *
 * The additional data is key_name and the issue time, so neither can be altered.
 */

/** Seals state with AES-256-GCM under keys from a {@link TicketKeySource}. */
export class AeadTicketer implements Ticketer {
  readonly lifetimeSeconds: number;
  private readonly keys: TicketKeySource;
  private readonly now: () => number;

  constructor(options: AeadTicketerOptions = {}) {
    this.lifetimeSeconds = Math.min(options.lifetimeSeconds ?? 7200, 7 * 24 * 3600);
    const random = options.provider ?? { random: randomBytes };
    this.keys = options.keys ?? new RotatingTicketKeys(random, this.lifetimeSeconds);
    this.now = options.now ?? Date.now;
  }

  async seal(state: Uint8Array, provider: CryptoProvider): Promise<Uint8Array> {
    const now = this.now();
    const { current } = await this.keys.keys(now);
    const header = new Writer(32)
      .bytes(current.name)
      .u32(Math.floor(now / 2 ** 32))
      .u32(now >>> 0)
      .finish();
    const nonce = provider.random(NONCE_LENGTH);
    const aead = await provider.aead('AES-256-GCM', current.key);
    const sealed = await aead.seal(nonce, header, state);
    return new Writer(header.length + NONCE_LENGTH + sealed.length)
      .bytes(header)
      .bytes(nonce)
      .bytes(sealed)
      .finish();
  }

  async open(ticket: Uint8Array, provider: CryptoProvider): Promise<Uint8Array | undefined> {
    if (ticket.length < NAME_LENGTH + 8 + NONCE_LENGTH + TAG_LENGTH) return undefined;
    const r = new Reader(ticket);
    const name = r.bytes(NAME_LENGTH, 'Ticket.key_name');
    const issued = r.u32('Ticket.issued_high') * 2 ** 32 + r.u32('Ticket.issued_low');
    const header = ticket.subarray(0, r.position);
    const nonce = r.bytes(NONCE_LENGTH, 'Ticket.nonce');
    const sealed = r.rest();
    const now = this.now();
    // A ticket older than its lifetime, or issued in the future, is refused before decryption.
    if (now - issued > this.lifetimeSeconds * 1000 || issued - now > SKEW_MS) return undefined;
    const { accepted } = await this.keys.keys(now);
    const key = accepted.find((k) => equalBytes(k.name, name));
    if (!key) return undefined;
    try {
      const aead = await provider.aead('AES-256-GCM', key.key);
      return await aead.open(nonce, header, sealed);
    } catch {
      // Tampered or forged: not an error of the connection, just not a usable ticket.
      return undefined;
    }
  }
}

/** CSPRNG bytes from the platform (every supported runtime has Web Crypto). */
function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import {
  Aes128Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
  type RecipientContext,
  type SenderContext,
} from '@hpke/core';
import { TlsError } from '../error.ts';
import type { EchConfig, HpkeSymmetricCipherSuite } from './config.ts';

/**
 * HPKE (RFC 9180) in base mode, as ECH uses it (draft-ietf-tls-esni §6.1 and §7.1): one KEM,
 * DHKEM(X25519, HKDF-SHA256), with HKDF-SHA256 and either AES-128-GCM or ChaCha20-Poly1305.
 *
 * The KEM and KDF run on WebCrypto through `@hpke/core` (X25519 and HMAC are in every target
 * runtime). ChaCha20-Poly1305 is missing from WebCrypto on Node 20 and workerd, so that AEAD comes
 * from `@hpke/chacha20poly1305`, which is plain JavaScript.
 */

/** RFC 9180 §7.1: DHKEM(X25519, HKDF-SHA256). */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
/** RFC 9180 §7.2: HKDF-SHA256. */
export const KDF_HKDF_SHA256 = 0x0001;
/** RFC 9180 §7.3: AES-128-GCM. */
export const AEAD_AES_128_GCM = 0x0001;
/** RFC 9180 §7.3: ChaCha20-Poly1305. */
export const AEAD_CHACHA20_POLY1305 = 0x0003;

/** The suites this module offers in new configurations, in preference order. */
export const DEFAULT_ECH_SUITES: readonly HpkeSymmetricCipherSuite[] = [
  { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_AES_128_GCM },
  { kdfId: KDF_HKDF_SHA256, aeadId: AEAD_CHACHA20_POLY1305 },
];

/**
 * The sender's half of an HPKE context: `enc` goes into the ClientHelloOuter's ECH extension.
 * `seal` may be called twice (HRR: second ClientHello reuses the context, draft §6.1.5); each
 * call uses the next sequence number, in call order.
 */
export interface HpkeSealer {
  /** The encapsulated key (Nenc bytes). */
  enc: Uint8Array;
  /** AEAD-seals `plaintext` with `aad` under the context's next nonce. */
  seal(aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
}

/** The receiver's half of an HPKE context. */
export interface HpkeOpener {
  /**
   * Opens `ciphertext` with `aad` under the context's next nonce.
   *
   * @throws TlsError DECRYPT_ERROR when authentication fails (the sequence number is not
   *   advanced then, RFC 9180 §5.2)
   */
  open(aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** Whether this module can run HPKE with `kemId` and the KDF/AEAD pair `suite`. */
export function hpkeSuiteSupported(kemId: number, suite: HpkeSymmetricCipherSuite): boolean {
  return (
    kemId === KEM_X25519_HKDF_SHA256 &&
    suite.kdfId === KDF_HKDF_SHA256 &&
    (suite.aeadId === AEAD_AES_128_GCM || suite.aeadId === AEAD_CHACHA20_POLY1305)
  );
}

/**
 * The first cipher suite of `config` this module supports, in the configuration's order, or
 * `undefined` when its KEM or none of its suites is supported (draft §6.1: such a configuration
 * is not suitable).
 */
export function selectHpkeSuite(config: EchConfig): HpkeSymmetricCipherSuite | undefined {
  const { kemId, cipherSuites } = config.contents;
  return cipherSuites.find((s) => hpkeSuiteSupported(kemId, s));
}

/**
 * SetupBaseS(pkR, info) (RFC 9180 §5.1.1) for `config`'s public key. ECH passes
 * info = "tls ech" || 0x00 || ECHConfig (draft §6.1).
 *
 * @throws TlsError CONFIG when the suite is not supported or not listed in `config`
 * @throws TlsError ILLEGAL_PARAMETER when the public key cannot be used with its KEM
 */
export function setupSender(
  config: EchConfig,
  suite: HpkeSymmetricCipherSuite,
  info: Uint8Array,
): Promise<HpkeSealer> {
  const listed = config.contents.cipherSuites.some(
    (s) => s.kdfId === suite.kdfId && s.aeadId === suite.aeadId,
  );
  // Draft §6.1: "It MUST NOT choose a cipher suite or version not advertised by the
  // configuration."
  if (!listed) {
    return Promise.reject(
      new TlsError('CONFIG', 'tls: HPKE suite not advertised by the ECHConfig', {
        layer: 'config',
      }),
    );
  }
  return setupSenderWithKey(config.contents.kemId, config.contents.publicKey, suite, info);
}

/**
 * SetupBaseS for a raw public key. `testIkmE` fixes the ephemeral key (DeriveKeyPair(ikmE)) so
 * RFC 9180 test vectors can be reproduced; it is for tests only and must never be set in use.
 *
 * @throws TlsError CONFIG when the suite is not supported
 * @throws TlsError ILLEGAL_PARAMETER when `publicKey` cannot be used with the KEM
 */
export async function setupSenderWithKey(
  kemId: number,
  publicKey: Uint8Array,
  suite: HpkeSymmetricCipherSuite,
  info: Uint8Array,
  testIkmE?: Uint8Array,
): Promise<HpkeSealer> {
  const cs = cipherSuite(kemId, suite);
  const pk = publicKey.slice();
  const infoCopy = info.slice();
  const ikm = testIkmE?.slice();
  let ctx: SenderContext;
  try {
    const recipientPublicKey = await cs.kem.deserializePublicKey(pk);
    ctx = await cs.createSenderContext({
      recipientPublicKey,
      info: infoCopy,
      ...(ikm ? { ekm: ikm } : {}),
    });
  } catch (e) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: cannot set up HPKE to the ECH public key', {
      layer: 'crypto',
      cause: e,
    });
  }
  const serial = new Serial();
  return {
    enc: new Uint8Array(ctx.enc),
    seal(aad, plaintext) {
      const a = aad.slice();
      const p = plaintext.slice();
      return serial.run(async () => {
        try {
          return new Uint8Array(await ctx.seal(p, a));
        } catch (e) {
          throw new TlsError('INTERNAL_ERROR', 'tls: HPKE seal failed', {
            layer: 'crypto',
            cause: e,
          });
        }
      });
    },
  };
}

/**
 * SetupBaseR(enc, skR, info) (RFC 9180 §5.1.1) with a raw X25519 private key.
 *
 * A client-facing server that cannot set up or open the context rejects ECH and continues
 * with ClientHelloOuter (draft §7.1), so both failures are one catchable code.
 *
 * @throws TlsError CONFIG when the KEM or suite is not supported
 * @throws TlsError DECRYPT_ERROR when `enc` or the private key cannot be used
 */
export async function setupReceiver(
  privateKey: Uint8Array,
  kemId: number,
  suite: HpkeSymmetricCipherSuite,
  enc: Uint8Array,
  info: Uint8Array,
): Promise<HpkeOpener> {
  const cs = cipherSuite(kemId, suite);
  const sk = privateKey.slice();
  const encCopy = enc.slice();
  const infoCopy = info.slice();
  let ctx: RecipientContext;
  try {
    const recipientKey = await cs.kem.deserializePrivateKey(sk);
    ctx = await cs.createRecipientContext({ recipientKey, enc: encCopy, info: infoCopy });
  } catch (e) {
    throw new TlsError('DECRYPT_ERROR', 'tls: cannot set up HPKE from the ECH enc', {
      layer: 'crypto',
      cause: e,
    });
  }
  const serial = new Serial();
  return {
    open(aad, ciphertext) {
      const a = aad.slice();
      const c = ciphertext.slice();
      return serial.run(async () => {
        try {
          return new Uint8Array(await ctx.open(c, a));
        } catch (e) {
          throw new TlsError('DECRYPT_ERROR', 'tls: HPKE open failed', {
            layer: 'crypto',
            cause: e,
          });
        }
      });
    },
  };
}

/** The @hpke/core suite for a supported (kem, kdf, aead) triple. */
function cipherSuite(kemId: number, suite: HpkeSymmetricCipherSuite): CipherSuite {
  if (!hpkeSuiteSupported(kemId, suite)) {
    throw new TlsError(
      'CONFIG',
      `tls: unsupported HPKE suite kem=0x${hex4(kemId)} kdf=0x${hex4(suite.kdfId)} ` +
        `aead=0x${hex4(suite.aeadId)}`,
      { layer: 'config' },
    );
  }
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: suite.aeadId === AEAD_AES_128_GCM ? new Aes128Gcm() : new Chacha20Poly1305(),
  });
}

/**
 * Runs async steps one after another, so a context's sequence number follows call order even
 * when a caller does not await between calls.
 */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step, step);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

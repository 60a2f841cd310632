/**
 * The CryptoProvider interface: every cryptographic operation webtls performs goes through one.
 * Providers: `subtle` (WebCrypto, with `@noble/*` for what a runtime lacks; the default),
 * `noble` (pure JavaScript), `fips` (subtle restricted to FIPS 140-3 approved algorithms,
 * fips.ts), and `node` (node:crypto, in src/node/provider/ since it is Node only).
 *
 * All byte arguments may be views into caller memory; a provider must not keep them past the
 * call, and must copy them before its first `await` if it needs them afterwards.
 */

/** Hash functions TLS uses (cipher-suite hashes and signature hashes). */
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA-1';

/** Hash output sizes in bytes. */
export const hashLength: Record<HashAlgorithm, number> = {
  'SHA-1': 20,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};

/** AEAD algorithms used by the record layer. */
export type AeadAlgorithm = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';

/** Key sizes in bytes. All three use 12-byte nonces and 16-byte tags. */
export const aeadKeyLength: Record<AeadAlgorithm, number> = {
  'AES-128-GCM': 16,
  'AES-256-GCM': 32,
  'CHACHA20-POLY1305': 32,
};

/** A keyed AEAD instance, one per traffic key. */
export interface AeadKey {
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Returns the plaintext, or throws a TlsError with code BAD_RECORD_MAC on failure. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional, for the write-through record layer: `data` holds the plaintext in its first
   * `data.length - 16` bytes; encrypts them in place and writes the tag after them.
   */
  sealInPlace?(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<void>;
  /**
   * Optional: decrypts `data` (ciphertext || tag) in place; the plaintext is its first
   * `data.length - 16` bytes. Must leave `data` untouched when authentication fails (it throws
   * BAD_RECORD_MAC then), since the record may be opened again under another key.
   */
  openInPlace?(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Promise<void>;
}

/**
 * A key-exchange group. ECDH groups and KEMs share one shape (as in draft-ietf-tls-ecdhe-mlkem):
 * the client generates a share; the server encapsulates against it, producing its own share
 * and the shared secret; the client decapsulates the server's share to the same secret.
 */
export interface KeyExchangeGroup {
  /** The NamedGroup code point. */
  readonly group: number;
  readonly name: string;
  readonly fips: boolean;
  /** Client side: a fresh ephemeral key pair. */
  generate(): Promise<KeyShare>;
  /**
   * Server side: given the client's share, returns the server's share and the shared secret.
   * Throws TlsError ILLEGAL_PARAMETER when the client's share is malformed.
   */
  encapsulate(clientShare: Uint8Array): Promise<{ share: Uint8Array; secret: Uint8Array }>;
}

export interface KeyShare {
  readonly group: number;
  /** The KeyShareEntry.key_exchange bytes to send. */
  readonly publicKey: Uint8Array;
  /**
   * Client side: the shared secret from the server's share. Throws TlsError ILLEGAL_PARAMETER
   * when the server's share is malformed or yields an invalid (e.g. all-zero) secret.
   */
  complete(peerShare: Uint8Array): Promise<Uint8Array>;
}

/** A private key able to sign with one or more TLS signature schemes. */
export interface SigningKey {
  /** The schemes this key can produce, in preference order. */
  readonly schemes: readonly number[];
  /** 'ecdsa' | 'rsa' | 'ed25519' | ... for display. */
  readonly algorithm: string;
  sign(scheme: number, data: Uint8Array): Promise<Uint8Array>;
}

/** Raw key material a signing key can be loaded from. */
export type PrivateKeySource =
  | { pkcs8: Uint8Array }
  /** A WebCrypto key (possibly non-extractable) with the scheme(s) it serves. */
  | { cryptoKey: CryptoKey; schemes: readonly number[] };

export interface CryptoProvider {
  /** 'subtle' | 'noble' | 'node' | 'fips'. */
  readonly name: string;
  /**
   * True when every algorithm this provider offers is FIPS 140-3 approved and it runs them in a
   * module that may be validated (never in JavaScript). A config using such a provider is in FIPS
   * mode: it is checked when its connection is built and refuses anything not approved
   * (src/conn/fips-config.ts, src/crypto/fips-policy.ts), and `ConnectionInfo.fips` is true.
   */
  readonly fips: boolean;

  /** TLS 1.3 cipher suites (and later TLS 1.2 suites) offered, in preference order. */
  readonly cipherSuites: readonly number[];
  /** Key-exchange groups offered, in preference order. */
  readonly groups: readonly number[];
  /** Signature schemes this provider can verify, in preference order. */
  readonly signatureSchemes: readonly number[];

  /** Fills `n` bytes from a CSPRNG. */
  random(n: number): Uint8Array;

  digest(alg: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** RFC 5869 HKDF-Extract. An empty salt means HashLen zero bytes. */
  hkdfExtract(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /** RFC 5869 HKDF-Expand. */
  hkdfExpand(
    alg: HashAlgorithm,
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>;

  /** A keyed AEAD; throws TlsError CONFIG when the algorithm is not available. */
  aead(alg: AeadAlgorithm, key: Uint8Array): Promise<AeadKey>;

  /** The group, or undefined when this provider does not offer it. */
  keyExchange(group: number): KeyExchangeGroup | undefined;

  /**
   * Verifies `signature` over `data` with a SubjectPublicKeyInfo (DER) under a TLS
   * SignatureScheme. Also used for certificate signatures (e.g. rsa_pkcs1_sha256, and
   * ecdsa schemes regardless of curve binding). Returns false on a bad signature; throws
   * TlsError UNSUPPORTED_CERTIFICATE for an unsupported scheme or key.
   */
  verify(
    scheme: number,
    spki: Uint8Array,
    data: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;

  /** Loads a private key for signing. Throws TlsError CONFIG on unsupported keys. */
  signingKey(source: PrivateKeySource): Promise<SigningKey>;
}

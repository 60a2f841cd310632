/**
 * INSECURE, BENCH ONLY. A CryptoProvider whose primitives are trivial stand-ins, so that a
 * webtls ↔ webtls handshake over it costs only the protocol's own work: message encoding and
 * parsing, the state machines, the key schedule's bookkeeping, X.509 parsing and path building.
 * It protects nothing and must never carry real traffic:
 *
 * - hash, HMAC and HKDF: an XOR fold of the input into the output length (deterministic, so both
 *   sides agree on transcripts and Finished, and nothing else);
 * - AEAD: the identity with a fixed all-zero 16-byte tag;
 * - key exchange: X25519-shaped random shares and one constant shared secret;
 * - signatures: the "signature" is the fold of the signed content, and verify() accepts every
 *   signature (so real certificate chains still build and parse).
 *
 * Only X25519 is offered; both sides must use this provider.
 */
import type {
  AeadKey,
  CryptoProvider,
  HashAlgorithm,
  KeyExchangeGroup,
  SigningKey,
} from '../../src/crypto/index.ts';
import { DEFAULT_CIPHER_SUITES, hashLength, VERIFY_SCHEMES } from '../../src/crypto/index.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';

const TAG = 16;
const SECRET = new Uint8Array(32).fill(0x42);

/** XOR-folds the parts into `length` bytes, mixing in each part's length. */
function fold(length: number, ...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(length);
  let j = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++, j++) out[j % length] ^= part[i] + (j & 0xff);
    out[j % length] ^= part.length & 0xff;
  }
  return out;
}

const hashOf = (alg: HashAlgorithm, ...parts: Uint8Array[]) => fold(hashLength[alg], ...parts);

function identityAead(): AeadKey {
  return {
    async seal(_nonce, _aad, plaintext) {
      const out = new Uint8Array(plaintext.length + TAG);
      out.set(plaintext);
      return out;
    },
    async open(_nonce, _aad, ciphertext) {
      if (ciphertext.length < TAG) throw new Error('null provider: record shorter than the tag');
      return ciphertext.slice(0, ciphertext.length - TAG);
    },
  };
}

function x25519Shaped(random: (n: number) => Uint8Array): KeyExchangeGroup {
  return {
    group: NamedGroup.x25519,
    name: 'X25519',
    fips: false,
    async generate() {
      return { group: NamedGroup.x25519, publicKey: random(32), complete: async () => SECRET };
    },
    async encapsulate() {
      return { share: random(32), secret: SECRET };
    },
  };
}

/**
 * The stand-in provider. `keys` loads signing keys (a real provider: only the key's type and
 * schemes are taken from it, never its signatures).
 */
export function nullProvider(keys: CryptoProvider): CryptoProvider {
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const kx = x25519Shaped(random);
  return {
    name: 'null (insecure, bench only)',
    fips: false,
    cipherSuites: DEFAULT_CIPHER_SUITES,
    groups: [NamedGroup.x25519],
    signatureSchemes: VERIFY_SCHEMES,
    random,
    async digest(alg, data) {
      return hashOf(alg, data);
    },
    async hmac(alg, key, data) {
      return hashOf(alg, key, data);
    },
    async hkdfExtract(alg, salt, ikm) {
      return hashOf(alg, salt, ikm);
    },
    async hkdfExpand(_alg, prk, info, length) {
      return fold(length, prk, info);
    },
    async aead() {
      return identityAead();
    },
    keyExchange(group) {
      return group === NamedGroup.x25519 ? kx : undefined;
    },
    async verify() {
      return true;
    },
    async signingKey(source): Promise<SigningKey> {
      const real = await keys.signingKey(source);
      return {
        schemes: real.schemes,
        algorithm: real.algorithm,
        sign: async (_scheme, data) => fold(64, data),
      };
    },
  };
}

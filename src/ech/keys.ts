import { x25519 } from '@noble/curves/ed25519.js';
import { DerError, DerReader, encodeOid, encodeSmallInt, encodeTlv, Tag } from '../codec/der.ts';
import { Oid } from '../crypto/oids.ts';
import { TlsError } from '../error.ts';
import { equalBytes } from '../util/bytes.ts';
import { pemBlocks, pemEncode } from '../util/pem.ts';
import {
  decodeEchConfigList,
  type EchConfig,
  encodeEchConfig,
  encodeEchConfigList,
  type HpkeSymmetricCipherSuite,
} from './config.ts';
import { DEFAULT_ECH_SUITES, KEM_X25519_HKDF_SHA256 } from './hpke.ts';

/**
 * ECH keys for a client-facing server: an X25519 private key with the ECHConfig that publishes
 * its public half, and the PEM file layout OpenSSL's `openssl ech` writes and its servers load
 * (draft-farrell-tls-pemesni, OpenSSL doc/man1/openssl-ech.pod.in):
 *
 *   -----BEGIN PRIVATE KEY-----
 *   base64 of the PKCS#8 (RFC 5958) X25519 private key (RFC 8410 §7), 64-column lines
 *   -----END PRIVATE KEY-----
 *   -----BEGIN ECHCONFIG-----
 *   base64 of an ECHConfigList (u16 length included) with an entry for that key
 *   -----END ECHCONFIG-----
 */

/** An ECH private key and the configuration that carries its public key. */
export interface EchKeyPair {
  /** The raw 32-byte X25519 private key (HPKE skR). Secret. */
  privateKey: Uint8Array;
  /** The ECHConfig whose public_key matches `privateKey`. */
  config: EchConfig;
}

/** Options for {@link generateEchKey}. */
export interface GenerateEchKeyOptions {
  /** public_name: the client-facing server's DNS name. */
  publicName: string;
  /** config_id; random when absent (draft §4.1 recommends random selection). */
  configId?: number;
  /** cipher_suites; AES-128-GCM then ChaCha20-Poly1305 with HKDF-SHA256 when absent. */
  suites?: HpkeSymmetricCipherSuite[];
  /** maximum_name_length; 0 ("not known") when absent. */
  maximumNameLength?: number;
}

const PEM_PRIVATE_KEY = 'PRIVATE KEY';
const PEM_ECHCONFIG = 'ECHCONFIG';

/**
 * Generates a fresh DHKEM(X25519, HKDF-SHA256) key and its ECHConfig (version 0xfe0d).
 *
 * @throws TlsError CONFIG when an option is out of range (see `encodeEchConfig`)
 */
export async function generateEchKey(options: GenerateEchKeyOptions): Promise<EchKeyPair> {
  const privateKey = x25519.utils.randomSecretKey();
  const configId = options.configId ?? crypto.getRandomValues(new Uint8Array(1))[0];
  const config = encodeEchConfig({
    configId,
    kemId: KEM_X25519_HKDF_SHA256,
    publicKey: x25519.getPublicKey(privateKey),
    cipherSuites: (options.suites ?? DEFAULT_ECH_SUITES).map((s) => ({ ...s })),
    maximumNameLength: options.maximumNameLength ?? 0,
    publicName: options.publicName,
    extensions: [],
  });
  return { privateKey, config };
}

/** The PEM file for `key`: its PKCS#8 PRIVATE KEY block, then an ECHCONFIG block. */
export function echKeyToPem(key: EchKeyPair): string {
  checkKey(key.privateKey);
  return (
    pemEncode(PEM_PRIVATE_KEY, encodeX25519Pkcs8(key.privateKey)) +
    pemEncode(PEM_ECHCONFIG, encodeEchConfigList([key.config]))
  );
}

/**
 * Reads an ECH PEM file: one PRIVATE KEY block (PKCS#8 X25519) and one ECHCONFIG block
 * (base64 ECHConfigList). The list may hold several configurations; the first usable one whose
 * public key matches the private key is returned.
 *
 * @throws TlsError CONFIG when a block is missing, repeated or malformed, the key is not X25519,
 *   or no configuration in the list matches the key
 * @throws TlsError DECODE_ERROR when the ECHConfigList itself is malformed
 */
export function echKeyFromPem(text: string): EchKeyPair {
  let blocks: ReturnType<typeof pemBlocks>;
  try {
    blocks = pemBlocks(text);
  } catch (e) {
    throw config(`ECH key file: ${(e as Error).message}`, e);
  }
  const keys = blocks.filter((b) => b.label === PEM_PRIVATE_KEY);
  const lists = blocks.filter((b) => b.label === PEM_ECHCONFIG);
  if (keys.length !== 1) throw config(`ECH key file has ${keys.length} PRIVATE KEY blocks`);
  if (lists.length !== 1) throw config(`ECH key file has ${lists.length} ECHCONFIG blocks`);
  const privateKey = decodeX25519Pkcs8(keys[0].der);
  const publicKey = x25519.getPublicKey(privateKey);
  for (const c of decodeEchConfigList(lists[0].der)) {
    if (
      c.contents.kemId === KEM_X25519_HKDF_SHA256 &&
      equalBytes(c.contents.publicKey, publicKey)
    ) {
      return { privateKey, config: c };
    }
  }
  throw config('ECH key file: no X25519 ECHConfig matches the private key');
}

/*
 * RFC 5958 §2 with RFC 8410 §7:
 *
 *   OneAsymmetricKey ::= SEQUENCE {
 *     version Version, privateKeyAlgorithm AlgorithmIdentifier { id-X25519 },
 *     privateKey OCTET STRING (CurvePrivateKey ::= OCTET STRING, 32 bytes),
 *     attributes [0] OPTIONAL, ..., publicKey [1] OPTIONAL }
 */

/** PKCS#8 v1 (version 0) of a raw X25519 private key, with no parameters (RFC 8410 §3). */
function encodeX25519Pkcs8(privateKey: Uint8Array): Uint8Array {
  return encodeTlv(
    Tag.SEQUENCE,
    encodeSmallInt(0),
    encodeTlv(Tag.SEQUENCE, encodeOid(Oid.x25519)),
    encodeTlv(Tag.OCTET_STRING, encodeTlv(Tag.OCTET_STRING, privateKey)),
  );
}

function decodeX25519Pkcs8(der: Uint8Array): Uint8Array {
  try {
    const outer = new DerReader(der);
    const seq = outer.sequence();
    outer.end();
    const version = seq.smallInteger();
    if (version !== 0 && version !== 1) throw new DerError(`unknown PKCS#8 version ${version}`);
    const alg = seq.sequence();
    const oid = alg.oid();
    // RFC 8410 §3: "the parameters MUST be absent".
    alg.end();
    if (oid !== Oid.x25519) throw new DerError(`the key is not X25519 (${oid})`);
    const inner = new DerReader(seq.read(Tag.OCTET_STRING));
    const key = inner.read(Tag.OCTET_STRING);
    inner.end();
    seq.optional(Tag.context(0));
    if (version === 1) seq.optional(0x81);
    seq.end();
    checkKey(key);
    return key.slice();
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw config(`ECH key file: malformed PRIVATE KEY: ${(e as Error).message}`, e);
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 32) throw config(`ECH private key is ${key.length} bytes, not 32`);
}

function config(message: string, cause?: unknown): TlsError {
  return new TlsError('CONFIG', `tls: ${message}`, { layer: 'config', cause });
}

/**
 * SubjectPublicKeyInfo parsing: what kind of key a certificate carries, and its raw parts.
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     algorithm         AlgorithmIdentifier,
 *     subjectPublicKey  BIT STRING }
 *   AlgorithmIdentifier ::= SEQUENCE {
 *     algorithm   OBJECT IDENTIFIER,
 *     parameters  ANY DEFINED BY algorithm OPTIONAL }
 */

import { DerError, DerReader, encodeOid, encodeTlv, Tag } from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { isOnCurve } from './ec-point.ts';
import { Oid } from './oids.ts';
import type { HashAlgorithm } from './provider.ts';

/** The key algorithm of a SubjectPublicKeyInfo, as TLS signature schemes group them. */
export type SpkiAlgorithm = 'ecdsa' | 'rsa' | 'rsa-pss' | 'ed25519';

/** The named curves accepted for ECDSA keys. */
export type EcCurve = 'P-256' | 'P-384' | 'P-521';

/** What `spkiInfo` reports about a public key. */
export interface SpkiInfo {
  /** 'rsa' is the rsaEncryption OID; 'rsa-pss' the id-RSASSA-PSS OID (RFC 8446 §4.2.3). */
  algorithm: SpkiAlgorithm;
  /** For 'ecdsa': the named curve. */
  curve?: EcCurve;
  /** Key size in bits: the RSA modulus length, the curve's field size, or 256 for Ed25519. */
  bits?: number;
}

/** An RSA public key (RFC 8017 §A.1.1 RSAPublicKey). */
export interface RsaPublicKey {
  n: bigint;
  e: bigint;
  /** Modulus length in bits. */
  bits: number;
  /** Modulus length in bytes (k in RFC 8017). */
  size: number;
}

/** The restrictions an id-RSASSA-PSS key's parameters place on its signatures (RFC 4055 §3.1). */
export interface PssRestriction {
  hash: HashAlgorithm;
  mgfHash: HashAlgorithm;
  /** The minimum salt length. */
  saltLength: number;
}

/** A parsed SubjectPublicKeyInfo, for providers. */
export interface ParsedSpki extends SpkiInfo {
  /** The subjectPublicKey bytes: an EC point, a 32-byte Ed25519 key, or RSAPublicKey DER. */
  key: Uint8Array;
  rsa?: RsaPublicKey;
  /** For 'rsa-pss' keys that carry parameters. */
  pss?: PssRestriction;
}

/** RSA modulus sizes accepted, in bits. Larger keys would make verification a DoS vector. */
export const RSA_MIN_BITS = 1024;
export const RSA_MAX_BITS = 16384;

const CURVES: Record<string, { curve: EcCurve; bits: number; size: number }> = {
  [Oid.secp256r1]: { curve: 'P-256', bits: 256, size: 32 },
  [Oid.secp384r1]: { curve: 'P-384', bits: 384, size: 48 },
  [Oid.secp521r1]: { curve: 'P-521', bits: 521, size: 66 },
};

/** Field element size in bytes for each curve. */
export const curveSize: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** Hash OIDs to names (RFC 8017 Appendix B.1). */
export const HASH_BY_OID: Record<string, HashAlgorithm> = {
  [Oid.sha1]: 'SHA-1',
  [Oid.sha256]: 'SHA-256',
  [Oid.sha384]: 'SHA-384',
  [Oid.sha512]: 'SHA-512',
};

/**
 * Describes a DER SubjectPublicKeyInfo: its algorithm, curve and size. The handshake uses it to
 * bind TLS 1.3 CertificateVerify schemes to the key (RFC 8446 §4.2.3).
 * @throws TlsError BAD_CERTIFICATE when the DER is malformed; UNSUPPORTED_CERTIFICATE when the
 *   algorithm, curve or key size is not supported.
 */
export function spkiInfo(spki: Uint8Array): SpkiInfo {
  const { algorithm, curve, bits } = parseSpki(spki);
  return curve ? { algorithm, curve, bits } : { algorithm, bits };
}

/** Parses a DER SubjectPublicKeyInfo. Throws as `spkiInfo` does. */
export function parseSpki(spki: Uint8Array): ParsedSpki {
  let oid: string;
  let params: DerReader;
  let key: Uint8Array;
  try {
    const outer = new DerReader(spki);
    const seq = outer.sequence();
    outer.end();
    params = seq.sequence();
    oid = params.oid();
    key = seq.bitStringBytes();
    seq.end();
  } catch (e) {
    throw malformed('SubjectPublicKeyInfo', e);
  }
  try {
    switch (oid) {
      case Oid.ecPublicKey:
        return parseEc(params, key);
      case Oid.rsaEncryption:
        // RFC 3279 §2.3.1: the parameters field MUST be NULL.
        params.null();
        params.end();
        return { algorithm: 'rsa', key, ...rsaParts(key) };
      case Oid.rsassaPss: {
        // RFC 4055 §3.1: parameters absent (unrestricted) or RSASSA-PSS-params.
        const pss = params.done ? undefined : parsePssParams(params.sequence());
        params.end();
        const parts = rsaParts(key);
        return pss
          ? { algorithm: 'rsa-pss', key, ...parts, pss }
          : { algorithm: 'rsa-pss', key, ...parts };
      }
      case Oid.ed25519:
        // RFC 8410 §3: parameters MUST be absent; the key is 32 bytes.
        params.end();
        if (key.length !== 32) throw new DerError('Ed25519 key is not 32 bytes');
        return { algorithm: 'ed25519', key, bits: 256 };
      default:
        throw unsupported(`unsupported public key algorithm ${oid}`);
    }
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw malformed('SubjectPublicKeyInfo', e);
  }
}

function parseEc(params: DerReader, point: Uint8Array): ParsedSpki {
  // RFC 5480 §2.1.1: ECParameters is a namedCurve OID here (implicit curves are forbidden).
  if (params.peekTag() !== Tag.OID) throw unsupported('EC key without a named curve');
  const curveOid = params.oid();
  params.end();
  const c = CURVES[curveOid];
  if (!c) throw unsupported(`unsupported EC curve ${curveOid}`);
  // RFC 5480 §2.2: an uncompressed (0x04) or compressed (0x02/0x03) SEC 1 point.
  const ok =
    (point.length === 1 + 2 * c.size && point[0] === 0x04) ||
    (point.length === 1 + c.size && (point[0] === 0x02 || point[0] === 0x03));
  if (!ok) throw new DerError(`bad ${c.curve} point encoding`);
  // SEC 1 §3.2.2.1: the point must be on the curve (not every WebCrypto checks on import).
  if (!isOnCurve(c.curve, point)) throw new DerError(`${c.curve} public key is not on the curve`);
  return { algorithm: 'ecdsa', curve: c.curve, bits: c.bits, key: point };
}

/**
 *   RSAPublicKey ::= SEQUENCE {
 *     modulus           INTEGER,  -- n
 *     publicExponent    INTEGER   -- e }
 */
function rsaParts(der: Uint8Array): { rsa: RsaPublicKey; bits: number } {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  const nBytes = seq.unsignedInteger();
  const eBytes = seq.unsignedInteger();
  seq.end();
  const n = bytesToBigInt(nBytes);
  const e = bytesToBigInt(eBytes);
  const bits = n.toString(2).length;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw unsupported(`unsupported RSA modulus size ${bits}`);
  }
  // An even modulus or exponent cannot be a valid RSA key; a huge exponent bounds nothing.
  if (!(n & 1n) || !(e & 1n) || e < 3n || e >= 1n << 32n) {
    throw unsupported('unsupported RSA public exponent or modulus');
  }
  return { rsa: { n, e, bits, size: Math.ceil(bits / 8) }, bits };
}

/**
 *   RSASSA-PSS-params ::= SEQUENCE {
 *     hashAlgorithm      [0] HashAlgorithm      DEFAULT sha1,
 *     maskGenAlgorithm   [1] MaskGenAlgorithm   DEFAULT mgf1SHA1,
 *     saltLength         [2] INTEGER            DEFAULT 20,
 *     trailerField       [3] TrailerField       DEFAULT trailerFieldBC }
 */
export function parsePssParams(seq: DerReader): PssRestriction {
  let hash: HashAlgorithm = 'SHA-1';
  let mgfHash: HashAlgorithm = 'SHA-1';
  let saltLength = 20;
  const h = seq.optional(Tag.context(0));
  if (h) hash = hashAlgorithm(new DerReader(h));
  const m = seq.optional(Tag.context(1));
  if (m) {
    const r = new DerReader(m);
    const alg = r.sequence();
    r.end();
    if (alg.oid() !== Oid.mgf1) throw unsupported('unsupported PSS mask generation function');
    mgfHash = hashAlgorithm(alg);
  }
  const s = seq.optional(Tag.context(2));
  if (s) {
    const r = new DerReader(s);
    saltLength = r.smallInteger();
    r.end();
  }
  const t = seq.optional(Tag.context(3));
  if (t) {
    const r = new DerReader(t);
    // RFC 8017 §A.2.3: trailerField MUST be 1 (0xbc).
    if (r.smallInteger() !== 1) throw unsupported('unsupported PSS trailer field');
    r.end();
  }
  seq.end();
  return { hash, mgfHash, saltLength };
}

/** Reads `AlgorithmIdentifier { hashOid, NULL | absent }` from a reader holding exactly it. */
function hashAlgorithm(r: DerReader): HashAlgorithm {
  const seq = r.sequence();
  r.end();
  const oid = seq.oid();
  // RFC 4055 §2.1: the NULL may be present or absent; accept both.
  if (!seq.done) seq.null();
  seq.end();
  const hash = HASH_BY_OID[oid];
  if (!hash) throw unsupported(`unsupported hash ${oid}`);
  return hash;
}

/** An rsaEncryption SubjectPublicKeyInfo around RSAPublicKey DER (for PSS-OID keys). */
export function rsaEncryptionSpki(rsaPublicKey: Uint8Array): Uint8Array {
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsaEncryption), encodeTlv(Tag.NULL));
  return encodeTlv(Tag.SEQUENCE, alg, encodeTlv(Tag.BIT_STRING, new Uint8Array(1), rsaPublicKey));
}

/** Big-endian unsigned bytes to a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0');
  return hex ? BigInt(`0x${hex}`) : 0n;
}

function unsupported(message: string): TlsError {
  return new TlsError('UNSUPPORTED_CERTIFICATE', message, { layer: 'crypto' });
}

function malformed(what: string, cause: unknown): TlsError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new TlsError('BAD_CERTIFICATE', `malformed ${what}${detail}`, { layer: 'crypto', cause });
}

/**
 * PKCS#8 private key parsing (RFC 5958), enough to tell a key's type and hand its parts to a
 * provider.
 *
 *   OneAsymmetricKey ::= SEQUENCE {
 *     version                   Version,
 *     privateKeyAlgorithm       PrivateKeyAlgorithmIdentifier,
 *     privateKey                PrivateKey,            -- OCTET STRING
 *     attributes            [0] Attributes OPTIONAL,
 *     ...,
 *     [[2: publicKey        [1] PublicKey OPTIONAL ]],
 *     ... }
 */

import { DerError, DerReader, encodeOid, encodeTlv, Tag } from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { Oid } from './oids.ts';
import {
  bytesToBigInt,
  curveSize,
  type EcCurve,
  type PssRestriction,
  parsePssParams,
  RSA_MAX_BITS,
  RSA_MIN_BITS,
} from './spki.ts';

/** A parsed PKCS#8 private key. */
export type ParsedPkcs8 =
  | {
      kind: 'ecdsa';
      curve: EcCurve;
      /** The private scalar, left-padded to the curve's field size. */
      d: Uint8Array;
    }
  | { kind: 'ed25519' /** The 32-byte private key (RFC 8032 seed). */; seed: Uint8Array }
  | {
      kind: 'rsa';
      /** True for an id-RSASSA-PSS key (RFC 4055), which may sign only with PSS. */
      pss: boolean;
      pssParams?: PssRestriction;
      /** The RSAPrivateKey DER (RFC 8017 §A.1.2). */
      rsaPrivateKey: Uint8Array;
      bits: number;
    };

const CURVE_BY_OID: Record<string, EcCurve> = {
  [Oid.secp256r1]: 'P-256',
  [Oid.secp384r1]: 'P-384',
  [Oid.secp521r1]: 'P-521',
};

/**
 * Parses a DER PKCS#8 private key.
 * @throws TlsError CONFIG when the key is malformed or of an unsupported type.
 */
export function parsePkcs8(der: Uint8Array): ParsedPkcs8 {
  try {
    const outer = new DerReader(der);
    const seq = outer.sequence();
    outer.end();
    const version = seq.smallInteger();
    if (version !== 0 && version !== 1) throw new DerError(`unknown version ${version}`);
    const alg = seq.sequence();
    const oid = alg.oid();
    const privateKey = seq.read(Tag.OCTET_STRING);
    seq.optional(Tag.context(0)); // attributes
    if (version === 1) seq.optional(0x81); // publicKey [1] IMPLICIT BIT STRING
    seq.end();
    switch (oid) {
      case Oid.ecPublicKey:
        return parseEcPrivateKey(alg, privateKey);
      case Oid.ed25519: {
        // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, the 32-byte key.
        alg.end();
        const r = new DerReader(privateKey);
        const seed = r.read(Tag.OCTET_STRING);
        r.end();
        if (seed.length !== 32) throw new DerError('Ed25519 private key is not 32 bytes');
        return { kind: 'ed25519', seed: seed.slice() };
      }
      case Oid.rsaEncryption:
        alg.null();
        alg.end();
        return {
          kind: 'rsa',
          pss: false,
          rsaPrivateKey: privateKey.slice(),
          bits: rsaBits(privateKey),
        };
      case Oid.rsassaPss: {
        const pssParams = alg.done ? undefined : parsePssParams(alg.sequence());
        alg.end();
        const bits = rsaBits(privateKey);
        const base = { kind: 'rsa', pss: true, rsaPrivateKey: privateKey.slice(), bits } as const;
        return pssParams ? { ...base, pssParams } : base;
      }
      default:
        throw config(`unsupported private key algorithm ${oid}`);
    }
  } catch (e) {
    if (e instanceof TlsError)
      throw new TlsError('CONFIG', e.message, { layer: 'config', cause: e });
    const detail = e instanceof Error ? `: ${e.message}` : '';
    throw new TlsError('CONFIG', `malformed PKCS#8 private key${detail}`, {
      layer: 'config',
      cause: e,
    });
  }
}

/**
 * RFC 5915 §3:
 *   ECPrivateKey ::= SEQUENCE {
 *     version        INTEGER { ecPrivkeyVer1(1) } (ecPrivkeyVer1),
 *     privateKey     OCTET STRING,
 *     parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *     publicKey  [1] BIT STRING OPTIONAL }
 */
function parseEcPrivateKey(alg: DerReader, der: Uint8Array): ParsedPkcs8 {
  let curveOid = alg.done ? undefined : alg.oid();
  alg.end();
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  if (seq.smallInteger() !== 1) throw new DerError('ECPrivateKey version is not 1');
  const d = seq.read(Tag.OCTET_STRING);
  const params = seq.optional(Tag.context(0));
  if (params) {
    const r = new DerReader(params);
    const inner = r.oid();
    r.end();
    // RFC 5915 §3: when both are present they must agree.
    if (curveOid !== undefined && inner !== curveOid) throw new DerError('conflicting EC curves');
    curveOid = inner;
  }
  seq.optional(Tag.context(1));
  seq.end();
  const curve = curveOid ? CURVE_BY_OID[curveOid] : undefined;
  if (!curve) throw config(`unsupported EC curve ${curveOid ?? '(none)'}`);
  const size = curveSize[curve];
  if (d.length === 0 || d.length > size) throw new DerError('bad EC private key length');
  const padded = new Uint8Array(size);
  padded.set(d, size - d.length);
  return { kind: 'ecdsa', curve, d: padded };
}

/** Modulus size of an RSAPrivateKey (RFC 8017 §A.1.2: version, modulus, ...). */
function rsaBits(der: Uint8Array): number {
  const outer = new DerReader(der);
  const seq = outer.sequence();
  outer.end();
  seq.smallInteger();
  const bits = bytesToBigInt(seq.unsignedInteger()).toString(2).length;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) throw config(`unsupported RSA key size ${bits}`);
  return bits;
}

/** A PKCS#8 wrapping of an RSAPrivateKey under rsaEncryption, for runtimes lacking the PSS OID. */
export function rsaEncryptionPkcs8(rsaPrivateKey: Uint8Array): Uint8Array {
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsaEncryption), encodeTlv(Tag.NULL));
  return encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.INTEGER, new Uint8Array(1)),
    alg,
    encodeTlv(Tag.OCTET_STRING, rsaPrivateKey),
  );
}

/** A PKCS#8 for an X25519 private key (RFC 8410 §7), for importing fixed keys. */
export function x25519Pkcs8(privateKey: Uint8Array): Uint8Array {
  return rfc8410Pkcs8(Oid.x25519, privateKey);
}

/** A PKCS#8 for an Ed25519 private key (RFC 8410 §7). */
export function ed25519Pkcs8(seed: Uint8Array): Uint8Array {
  return rfc8410Pkcs8(Oid.ed25519, seed);
}

function rfc8410Pkcs8(oid: string, privateKey: Uint8Array): Uint8Array {
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(oid));
  const key = encodeTlv(Tag.OCTET_STRING, encodeTlv(Tag.OCTET_STRING, privateKey));
  return encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.INTEGER, new Uint8Array(1)), alg, key);
}

/** A PKCS#8 for an EC private scalar (RFC 5915, without the optional public key). */
export function ecPkcs8(curve: EcCurve, d: Uint8Array): Uint8Array {
  const curveOid = { 'P-256': Oid.secp256r1, 'P-384': Oid.secp384r1, 'P-521': Oid.secp521r1 }[
    curve
  ];
  const alg = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.ecPublicKey), encodeOid(curveOid));
  const ecKey = encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.INTEGER, Uint8Array.of(1)),
    encodeTlv(Tag.OCTET_STRING, d),
  );
  return encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.INTEGER, new Uint8Array(1)),
    alg,
    encodeTlv(Tag.OCTET_STRING, ecKey),
  );
}

function config(message: string): TlsError {
  return new TlsError('CONFIG', message, { layer: 'config' });
}

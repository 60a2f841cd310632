/**
 * Private-key normalisation: whatever `openssl` wrote (PKCS#8 `PRIVATE KEY`, SEC1
 * `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, PEM or DER), webtls loads PKCS#8 DER, which is
 * what WebCrypto's `importKey('pkcs8', ...)` and the providers take.
 */

import {
  children,
  DerError,
  decodeOid,
  decodeSmallInt,
  encodeOid,
  encodeSmallInt,
  encodeTlv,
  readOnly,
  Tag,
  type Tlv,
} from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { pemBlocks } from '../util/pem.ts';

/** Key algorithm OIDs that appear in PKCS#8 and SubjectPublicKeyInfo. */
export const KeyOid = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
} as const;

/** Named-curve OIDs (RFC 5480 §2.1.1.1). */
export const CurveOid = {
  'P-256': '1.2.840.10045.3.1.7',
  'P-384': '1.3.132.0.34',
  'P-521': '1.3.132.0.35',
} as const;

const NULL = new Uint8Array([Tag.NULL, 0]);

function configError(message: string, cause?: unknown): TlsError {
  return new TlsError('CONFIG', message, { layer: 'config', cause });
}

/**
 * Wraps a PKCS#1 RSAPrivateKey (RFC 8017 §A.1.2) in a PKCS#8 PrivateKeyInfo (RFC 5208 §5)
 * whose AlgorithmIdentifier is rsaEncryption with NULL parameters (RFC 8017 §A.1).
 */
export function pkcs1ToPkcs8(der: Uint8Array): Uint8Array {
  try {
    // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, ... }
    const fields = children(readOnly(der, Tag.SEQUENCE).content);
    if (fields.length < 9 || fields.some((f) => f.tag !== Tag.INTEGER)) {
      throw new DerError('not an RSAPrivateKey');
    }
  } catch (e) {
    throw configError('tls: RSA PRIVATE KEY is not a PKCS#1 RSAPrivateKey', e);
  }
  const algorithm = encodeTlv(Tag.SEQUENCE, encodeOid(KeyOid.rsaEncryption), NULL);
  return privateKeyInfo(algorithm, der);
}

/**
 * Wraps a SEC1 ECPrivateKey (RFC 5915 §3) in a PKCS#8 PrivateKeyInfo whose AlgorithmIdentifier
 * is id-ecPublicKey with the curve taken from the key's own `parameters`, or from
 * `curveOid` (e.g. an `EC PARAMETERS` block) when the key has none.
 *
 *     ECPrivateKey ::= SEQUENCE {
 *       version        INTEGER { ecPrivkeyVer1(1) },
 *       privateKey     OCTET STRING,
 *       parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *       publicKey  [1] BIT STRING OPTIONAL }
 */
export function sec1ToPkcs8(der: Uint8Array, curveOid?: string): Uint8Array {
  let curve = curveOid;
  let inner: Uint8Array;
  try {
    const fields = children(readOnly(der, Tag.SEQUENCE).content);
    const [version, key] = fields;
    if (!version || version.tag !== Tag.INTEGER || decodeSmallInt(version) !== 1) {
      throw new DerError('ECPrivateKey version must be 1');
    }
    if (!key || key.tag !== Tag.OCTET_STRING) throw new DerError('missing privateKey');
    const params = fields.find((f) => f.tag === 0xa0);
    const publicKey = fields.find((f) => f.tag === 0xa1);
    if (params) {
      const oid = readOnly(params.content);
      if (oid.tag !== Tag.OID) throw new DerError('only named curves are supported');
      curve = decodeOid(oid.content);
    }
    // RFC 5915 §3: inside PKCS#8 the curve lives in the AlgorithmIdentifier; the inner key
    // keeps its private and public parts only.
    const parts: Tlv[] = [version, key];
    if (publicKey) parts.push(publicKey);
    inner = encodeTlv(Tag.SEQUENCE, ...parts.map((p) => p.raw));
  } catch (e) {
    throw configError('tls: EC PRIVATE KEY is not a SEC1 ECPrivateKey', e);
  }
  if (!curve) throw configError('tls: EC PRIVATE KEY names no curve');
  const algorithm = encodeTlv(Tag.SEQUENCE, encodeOid(KeyOid.ecPublicKey), encodeOid(curve));
  return privateKeyInfo(algorithm, inner);
}

function privateKeyInfo(algorithm: Uint8Array, key: Uint8Array): Uint8Array {
  return encodeTlv(Tag.SEQUENCE, encodeSmallInt(0), algorithm, encodeTlv(Tag.OCTET_STRING, key));
}

/** What a PKCS#8 key is: its algorithm OID and, for EC keys, the curve OID. */
export interface Pkcs8Info {
  algorithm: string;
  curve?: string;
}

/** Reads the algorithm of a PKCS#8 PrivateKeyInfo. Throws TlsError CONFIG when malformed. */
export function pkcs8Info(der: Uint8Array): Pkcs8Info {
  try {
    const [version, alg, key] = children(readOnly(der, Tag.SEQUENCE).content);
    if (version?.tag !== Tag.INTEGER || alg?.tag !== Tag.SEQUENCE) throw new DerError('shape');
    if (key?.tag !== Tag.OCTET_STRING) throw new DerError('shape');
    const [oid, params] = children(alg.content);
    if (oid?.tag !== Tag.OID) throw new DerError('shape');
    const algorithm = decodeOid(oid.content);
    if (algorithm === KeyOid.ecPublicKey && params?.tag === Tag.OID) {
      return { algorithm, curve: decodeOid(params.content) };
    }
    return { algorithm };
  } catch (e) {
    throw configError('tls: private key is not PKCS#8 PrivateKeyInfo', e);
  }
}

/** Guesses the container of a DER private key from its first fields. */
function derKind(der: Uint8Array): 'pkcs8' | 'sec1' | 'pkcs1' {
  try {
    const fields = children(readOnly(der, Tag.SEQUENCE).content);
    if (fields[1]?.tag === Tag.SEQUENCE) return 'pkcs8';
    if (fields[1]?.tag === Tag.OCTET_STRING) return 'sec1';
    if (fields.length >= 9) return 'pkcs1';
  } catch (e) {
    throw configError('tls: private key is not DER', e);
  }
  throw configError('tls: unrecognised private key encoding');
}

/**
 * Returns PKCS#8 DER for a private key given as PEM text (`PRIVATE KEY`, `EC PRIVATE KEY`,
 * optionally after an `EC PARAMETERS` block, or `RSA PRIVATE KEY`) or as DER in any of those
 * encodings. Encrypted keys are refused with TlsError CONFIG.
 */
export function privateKeyToPkcs8(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') {
    const kind = derKind(input);
    if (kind === 'sec1') return sec1ToPkcs8(input);
    if (kind === 'pkcs1') return pkcs1ToPkcs8(input);
    pkcs8Info(input);
    return input.slice();
  }
  let blocks: ReturnType<typeof pemBlocks>;
  try {
    blocks = pemBlocks(input);
  } catch (e) {
    throw configError('tls: private key PEM is malformed', e);
  }
  let curve: string | undefined;
  for (const block of blocks) {
    switch (block.label) {
      case 'EC PARAMETERS':
        try {
          const oid = readOnly(block.der, Tag.OID);
          curve = decodeOid(oid.content);
        } catch (e) {
          throw configError('tls: EC PARAMETERS must name a curve', e);
        }
        break;
      case 'PRIVATE KEY':
        pkcs8Info(block.der);
        return block.der;
      case 'EC PRIVATE KEY':
        return sec1ToPkcs8(block.der, curve);
      case 'RSA PRIVATE KEY':
        return pkcs1ToPkcs8(block.der);
      case 'ENCRYPTED PRIVATE KEY':
        throw configError('tls: encrypted private keys are not supported; decrypt it first');
    }
  }
  throw configError('tls: no private key found in PEM');
}

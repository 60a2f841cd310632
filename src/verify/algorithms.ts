/**
 * Certificate signature algorithms (RFC 5280 §4.1.1.2) mapped to the TLS SignatureScheme code
 * points the CryptoProvider verifies with. The provider takes the curve from the issuer's key
 * and the hash from the scheme, so `ecdsa_secp256r1_sha256` stands for "ECDSA with SHA-256" on
 * any curve here.
 */

import { children, DerError, decodeOid, decodeSmallInt, readOnly, Tag } from '../codec/der.ts';
import { TlsError } from '../error.ts';
import { SignatureScheme } from '../msgs/enums.ts';
import { KeyOid } from './keys.ts';

/** An AlgorithmIdentifier: its OID and the raw DER of its parameters, if any. */
export interface AlgorithmId {
  oid: string;
  /** The parameters' full TLV, or undefined when absent. */
  params: Uint8Array | undefined;
}

/** Signature algorithm OIDs webtls accepts in certificates. */
export const SigOid = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: KeyOid.rsassaPss,
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: KeyOid.ed25519,
} as const;

const HashOid = {
  '2.16.840.1.101.3.4.2.1': { scheme: 0, length: 32 },
  '2.16.840.1.101.3.4.2.2': { scheme: 1, length: 48 },
  '2.16.840.1.101.3.4.2.3': { scheme: 2, length: 64 },
} as Record<string, { scheme: number; length: number } | undefined>;

const MGF1 = '1.2.840.113549.1.1.8';

const PSS_RSAE = [
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];
const PSS_PSS = [
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

const PKCS1: Record<string, number> = {
  [SigOid.sha256WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha256,
  [SigOid.sha384WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha384,
  [SigOid.sha512WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha512,
};
const ECDSA: Record<string, number> = {
  [SigOid.ecdsaWithSha256]: SignatureScheme.ecdsa_secp256r1_sha256,
  [SigOid.ecdsaWithSha384]: SignatureScheme.ecdsa_secp384r1_sha384,
  [SigOid.ecdsaWithSha512]: SignatureScheme.ecdsa_secp521r1_sha512,
};

function isNull(params: Uint8Array | undefined): boolean {
  return params === undefined || (params.length === 2 && params[0] === 5 && params[1] === 0);
}

function unsupported(message: string): TlsError {
  return new TlsError('UNSUPPORTED_CERTIFICATE', message, { layer: 'verify' });
}

/**
 * The SignatureScheme that checks a certificate signed with `alg` by a key whose
 * SubjectPublicKeyInfo algorithm is `issuerKey`. Throws TlsError UNSUPPORTED_CERTIFICATE for
 * algorithms webtls does not accept (SHA-1, MD5, DSA, ...) or malformed parameters, and
 * CERT_BAD_SIGNATURE when the algorithm cannot have been made by that kind of key.
 */
export function certSignatureScheme(alg: AlgorithmId, issuerKey: string, subject: string): number {
  const mismatch = () =>
    new TlsError(
      'CERT_BAD_SIGNATURE',
      `tls: certificate "${subject}" is signed with ${alg.oid}, which its issuer's key cannot make`,
      { layer: 'verify' },
    );
  const pkcs1 = PKCS1[alg.oid];
  if (pkcs1 !== undefined) {
    // RFC 4055 §5: the parameters are NULL; absent ones must be accepted too.
    if (!isNull(alg.params)) throw unsupported(`tls: ${alg.oid} with parameters in "${subject}"`);
    if (issuerKey !== KeyOid.rsaEncryption) throw mismatch();
    return pkcs1;
  }
  const ecdsa = ECDSA[alg.oid];
  if (ecdsa !== undefined) {
    // RFC 5758 §3.2: the parameters field MUST be absent.
    if (alg.params !== undefined) throw unsupported(`tls: ECDSA with parameters in "${subject}"`);
    if (issuerKey !== KeyOid.ecPublicKey) throw mismatch();
    return ecdsa;
  }
  if (alg.oid === SigOid.ed25519) {
    // RFC 8410 §3: the parameters MUST be absent.
    if (alg.params !== undefined) throw unsupported(`tls: Ed25519 with parameters in "${subject}"`);
    if (issuerKey !== KeyOid.ed25519) throw mismatch();
    return SignatureScheme.ed25519;
  }
  if (alg.oid === SigOid.rsassaPss) {
    const hash = pssHash(alg.params, subject);
    if (issuerKey === KeyOid.rsaEncryption) return PSS_RSAE[hash];
    if (issuerKey === KeyOid.rsassaPss) return PSS_PSS[hash];
    throw mismatch();
  }
  throw unsupported(
    `tls: certificate "${subject}" uses unsupported signature algorithm ${alg.oid}`,
  );
}

/**
 * RFC 4055 §3.1 RSASSA-PSS-params. TLS (RFC 8446 §4.2.3) and webtls accept only SHA-256/384/512
 * with MGF1 over the same hash, a salt as long as the hash, and the default trailer field.
 * Returns the hash index (0, 1, 2).
 *
 *     RSASSA-PSS-params ::= SEQUENCE {
 *       hashAlgorithm      [0] HashAlgorithm    DEFAULT sha1,
 *       maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *       saltLength         [2] INTEGER          DEFAULT 20,
 *       trailerField       [3] TrailerField     DEFAULT trailerFieldBC }
 */
function pssHash(params: Uint8Array | undefined, subject: string): number {
  const bad = (why: string, cause?: unknown) =>
    new TlsError('UNSUPPORTED_CERTIFICATE', `tls: RSASSA-PSS in "${subject}": ${why}`, {
      layer: 'verify',
      cause,
    });
  if (params === undefined) throw bad('parameters missing');
  try {
    const fields = children(readOnly(params, Tag.SEQUENCE).content);
    const get = (tag: number) => fields.find((f) => f.tag === tag);
    const hashField = get(0xa0);
    const mgfField = get(0xa1);
    const saltField = get(0xa2);
    const trailerField = get(0xa3);
    if (!hashField || !mgfField || !saltField) throw bad('SHA-1 defaults are not accepted');
    const hashAlg = algorithmId(readOnly(hashField.content).raw);
    const hash = HashOid[hashAlg.oid];
    if (!hash || !isNull(hashAlg.params)) throw bad(`hash ${hashAlg.oid} not accepted`);
    const mgf = algorithmId(readOnly(mgfField.content).raw);
    if (mgf.oid !== MGF1 || mgf.params === undefined) throw bad('mask generation is not MGF1');
    const mgfHash = algorithmId(mgf.params);
    if (mgfHash.oid !== hashAlg.oid || !isNull(mgfHash.params)) throw bad('MGF1 hash differs');
    const salt = decodeSmallInt(readOnly(saltField.content, Tag.INTEGER));
    if (salt !== hash.length) throw bad(`salt length ${salt} is not the hash length`);
    if (trailerField && decodeSmallInt(readOnly(trailerField.content, Tag.INTEGER)) !== 1) {
      throw bad('trailer field must be 1');
    }
    return hash.scheme;
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw bad('malformed parameters', e);
  }
}

/** Reads an AlgorithmIdentifier TLV. Throws DerError when malformed. */
export function algorithmId(der: Uint8Array): AlgorithmId {
  const fields = children(readOnly(der, Tag.SEQUENCE).content);
  if (fields.length < 1 || fields.length > 2 || fields[0].tag !== Tag.OID) {
    throw new DerError('bad AlgorithmIdentifier');
  }
  return { oid: decodeOid(fields[0].content), params: fields[1]?.raw };
}

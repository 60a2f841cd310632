/**
 * Loading a server's certificate chain and private key from PEM, the form `openssl` writes.
 */
import type { CertifiedKey } from './config.ts';
import type { CryptoProvider } from './crypto/provider.ts';
import { schemesForKey } from './crypto/schemes.ts';
import { spkiInfo } from './crypto/spki.ts';
import { TlsError } from './error.ts';
import { SignatureScheme } from './msgs/enums.ts';
import { pemCertificates } from './util/pem.ts';
import { privateKeyToPkcs8 } from './verify/keys.ts';
import { parseCertificate } from './verify/x509.ts';

/**
 * Builds a CertifiedKey from PEM text: `chainPem` holds the leaf certificate first, then any
 * intermediates (all of them are sent, in that order, RFC 8446 §4.4.2); `keyPem` holds the
 * leaf's private key as PKCS#8 (`PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#1
 * (`RSA PRIVATE KEY`). The key is loaded through `provider`.
 *
 * @throws TlsError CONFIG when there is no certificate, the PEM is malformed, or the key is
 *   encrypted or of an unsupported type.
 */
export async function certifiedKeyFromPem(
  chainPem: string,
  keyPem: string,
  provider: CryptoProvider,
): Promise<CertifiedKey> {
  let chain: Uint8Array[];
  try {
    chain = pemCertificates(chainPem);
  } catch (cause) {
    throw new TlsError('CONFIG', 'tls: certificate PEM is malformed', { layer: 'config', cause });
  }
  if (chain.length === 0) {
    throw new TlsError('CONFIG', 'tls: no CERTIFICATE block in the chain PEM', { layer: 'config' });
  }
  const pkcs8 = privateKeyToPkcs8(keyPem);
  const key = await provider.signingKey({ pkcs8 });
  return { chain, key };
}

const PKCS1_SCHEMES: readonly number[] = [
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/**
 * Builds a CertifiedKey from a certificate chain (PEM text, or DER leaf first) and a WebCrypto
 * private key, which may be non-extractable (for instance one kept in IndexedDB): the key never
 * leaves WebCrypto. The signature schemes follow the leaf's public key (ECDSA P-256/P-384/P-521,
 * Ed25519, RSA with RSA-PSS signatures, id-RSASSA-PSS) and, for RSA, the key's algorithm: an
 * RSASSA-PKCS1-v1_5 key signs rsa_pkcs1_* only, which TLS 1.2 alone accepts.
 *
 * @throws TlsError CONFIG when there is no certificate or the provider cannot use the key;
 *   BAD_CERTIFICATE when the leaf does not parse.
 */
export async function certifiedKeyFromCryptoKey(
  chain: string | readonly Uint8Array[],
  cryptoKey: CryptoKey,
  provider: CryptoProvider,
): Promise<CertifiedKey> {
  let ders: Uint8Array[];
  try {
    ders = typeof chain === 'string' ? pemCertificates(chain) : chain.map((d) => d.slice());
  } catch (cause) {
    throw new TlsError('CONFIG', 'tls: certificate PEM is malformed', { layer: 'config', cause });
  }
  if (ders.length === 0) {
    throw new TlsError('CONFIG', 'tls: no certificate in the chain', { layer: 'config' });
  }
  const info = spkiInfo(parseCertificate(ders[0]).spki);
  let schemes = schemesForKey(info.algorithm, info.curve);
  if (info.algorithm === 'rsa' || info.algorithm === 'rsa-pss') {
    // A WebCrypto RSA key is bound to one algorithm and hash: keep the scheme with that hash.
    // An RSASSA-PKCS1-v1_5 key signs only TLS 1.2 (RFC 8446 §4.2.3 keeps PKCS#1 out of 1.3).
    const hash = (cryptoKey.algorithm as Partial<RsaHashedKeyAlgorithm>).hash?.name;
    const index = ['SHA-256', 'SHA-384', 'SHA-512'].indexOf(hash ?? '');
    const pkcs1 = cryptoKey.algorithm.name === 'RSASSA-PKCS1-v1_5' && info.algorithm === 'rsa';
    schemes = index < 0 ? [] : [pkcs1 ? PKCS1_SCHEMES[index] : schemes[index]];
  }
  const key = await provider.signingKey({ cryptoKey, schemes });
  return { chain: ders, key };
}

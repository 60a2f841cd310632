/**
 * Loading a server's certificate chain and private key from PEM, the form `openssl` writes.
 */
import type { CertifiedKey } from './config.ts';
import type { CryptoProvider } from './crypto/provider.ts';
import { TlsError } from './error.ts';
import { pemCertificates } from './util/pem.ts';
import { privateKeyToPkcs8 } from './verify/keys.ts';

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

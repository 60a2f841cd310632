/**
 * The benchmark certificates: the test PKI under test/pki/out (scripts/gen-test-pki.sh makes
 * it; bench/run.ts runs that first). Every chain ends at root.pem and names localhost.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CryptoProvider, SigningKey } from '../../../src/crypto/provider.ts';
import { pemBlocks, pemCertificates } from '../../../src/util/pem.ts';
import type { CertKind } from './types.ts';

const OUT = fileURLToPath(new URL('../../../test/pki/out/', import.meta.url));

/** A PEM file of the test PKI, by its path under test/pki/out. */
export function pkiPem(path: string): string {
  return readFileSync(OUT + path, 'utf8');
}

/** The leaf and intermediates of a certificate kind, PEM. */
export function pkiChainPem(kind: CertKind): string {
  return pkiPem(`${kind}/chain.pem`);
}

/** The leaf and intermediates, DER, leaf first. */
export function pkiChainDer(kind: CertKind): Uint8Array[] {
  return pemCertificates(pkiChainPem(kind));
}

/** The private key, PKCS#8 PEM. */
export function pkiKeyPem(kind: CertKind): string {
  return pkiPem(`${kind}/key.pem`);
}

/** The private key loaded by `provider`. */
export async function pkiSigningKey(provider: CryptoProvider, kind: CertKind): Promise<SigningKey> {
  const block = pemBlocks(pkiKeyPem(kind)).find((b) => b.label === 'PRIVATE KEY');
  if (!block) throw new Error(`bench pki: no PKCS#8 key for ${kind}`);
  return provider.signingKey({ pkcs8: block.der });
}

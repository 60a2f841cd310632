/** Client certificates of the test PKI (scripts/gen-test-pki.sh sections 3, 8 and 9). */
import { join } from 'node:path';
import { certFiles, REPO } from './pki.ts';

const OUT = join(REPO, 'test/pki/out');

/** A client certificate's files: leaf, chain (leaf then issuer) and PKCS#8 key, PEM. */
export interface ClientFiles {
  leaf: string;
  inter: string;
  chain: string;
  key: string;
}

/** Client certificate key types (EKU clientAuth), all under the P-256 intermediate. */
export const CLIENT_TYPES = ['p256', 'ed25519', 'rsa'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** The client certificate of `type`; its chain ends at the test root. */
export function clientFiles(type: ClientType): ClientFiles {
  const dir = join(OUT, type === 'p256' ? 'client' : `client-${type}`);
  return {
    leaf: join(dir, 'leaf.pem'),
    inter: certFiles('p256').inter,
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
  };
}

/** The revocation hierarchy (section 9). */
export const CRL_DIR = join(OUT, 'crl');
export const CRL_ROOT = join(CRL_DIR, 'root.pem');

/** A client certificate of the revocation hierarchy: good, revoked, or under a revoked CA. */
export function crlClientFiles(name: 'good' | 'revoked' | 'under-revoked'): ClientFiles {
  const dir = join(CRL_DIR, name);
  return {
    leaf: join(dir, 'leaf.pem'),
    inter: join(CRL_DIR, name === 'under-revoked' ? 'inter2.pem' : 'inter.pem'),
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
  };
}

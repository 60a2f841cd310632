/**
 * certifiedKeyFromPem over openssl-written files: every key container openssl writes loads, the
 * whole chain is kept in order, and bad input is a CONFIG error.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certifiedKeyFromPem } from '../../src/certified-key.ts';
import { defaultProvider } from '../../src/crypto/index.ts';
import { pemCertificates } from '../../src/util/pem.ts';
import { CERT_TYPES, certFiles, pem, REPO } from './peers/pki.ts';

const KEYS = join(REPO, 'test/pki/out/keys');
const provider = defaultProvider();

describe('certifiedKeyFromPem', () => {
  it.each(CERT_TYPES)(
    'loads the %s chain (leaf first, intermediate after) and its key',
    async (type) => {
      const files = certFiles(type);
      const certified = await certifiedKeyFromPem(pem(files.chain), pem(files.key), provider);
      expect(certified.chain).toEqual([
        ...pemCertificates(pem(files.leaf)),
        ...pemCertificates(pem(files.inter)),
      ]);
      expect(certified.key.schemes.length).toBeGreaterThan(0);
    },
  );

  it.each([
    ['SEC1 P-256', 'p256-sec1.pem', 'ecdsa'],
    ['SEC1 P-384', 'p384-sec1.pem', 'ecdsa'],
    ['SEC1 after EC PARAMETERS', 'p256-ecparam.pem', 'ecdsa'],
    ['PKCS#1 RSA', 'rsa2048-pkcs1.pem', 'rsa'],
  ])('loads a %s key', async (_label, file, algorithm) => {
    const chain = pem(certFiles('p256').chain);
    const certified = await certifiedKeyFromPem(chain, pem(join(KEYS, file)), provider);
    expect(certified.key.algorithm).toContain(algorithm);
  });

  it('refuses a chain without certificates', async () => {
    const key = pem(certFiles('p256').key);
    await expect(certifiedKeyFromPem(key, key, provider)).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('refuses an encrypted key', async () => {
    const encrypted =
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n';
    const chain = pem(certFiles('p256').chain);
    await expect(certifiedKeyFromPem(chain, encrypted, provider)).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});

/**
 * Paths into the test PKI (scripts/gen-test-pki.sh writes test/pki/out; the vitest global setup
 * runs it). Every certificate below chains to `ROOT`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const OUT = join(REPO, 'test/pki/out');

/** The trust anchor every test chain ends at. */
export const ROOT = join(OUT, 'root.pem');

/** Server certificate types, named by their directory. */
export const CERT_TYPES = ['p256', 'p384', 'ed25519', 'rsa2048', 'rsapss'] as const;
export type CertType = (typeof CERT_TYPES)[number];

/** What each certificate type proves. */
export const CERT_LABELS: Record<CertType, string> = {
  p256: 'ECDSA P-256',
  p384: 'ECDSA P-384',
  ed25519: 'Ed25519',
  rsa2048: 'RSA (rsaEncryption, PSS-RSAE signatures)',
  rsapss: 'RSA-PSS key',
};

/** A certificate's files: leaf, intermediates, leaf+intermediates, key (all PEM). */
export interface CertFiles {
  leaf: string;
  inter: string;
  chain: string;
  key: string;
}

/** The files of a good localhost/127.0.0.1/::1 certificate of `type`. */
export function certFiles(type: CertType): CertFiles {
  const dir = join(OUT, type);
  return {
    leaf: join(dir, 'leaf.pem'),
    inter: join(dir, 'inter.pem'),
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
  };
}

/** A certificate for other.test and *.other.test (for SNI selection), under the P-256 CA. */
export function otherCertFiles(): CertFiles {
  const dir = join(OUT, 'other');
  return {
    leaf: join(dir, 'leaf.pem'),
    inter: certFiles('p256').inter,
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
  };
}

/** A certificate whose only names are IP:127.0.0.1 and IP:::1, under the P-256 CA. */
export function ipOnlyCertFiles(): CertFiles {
  const dir = join(OUT, 'bad/ip-only');
  return {
    leaf: join(dir, 'leaf.pem'),
    inter: certFiles('p256').inter,
    chain: join(dir, 'chain.pem'),
    key: join(dir, 'key.pem'),
  };
}

/** Reads a PEM file as text. */
export function pem(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The three groups every peer here supports (openssl 3.0 has no X25519MLKEM768). */
export const GROUPS = ['X25519', 'P-256', 'P-384'] as const;
export type GroupName = (typeof GROUPS)[number];

/** The three TLS 1.3 cipher suites. */
export const SUITES = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
] as const;
export type SuiteName = (typeof SUITES)[number];

/** Every group × suite pair. */
export const GROUP_SUITE_PAIRS: [GroupName, SuiteName][] = GROUPS.flatMap((g) =>
  SUITES.map((s): [GroupName, SuiteName] => [g, s]),
);

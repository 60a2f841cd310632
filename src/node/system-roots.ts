/**
 * The operating system's trust store, read the way OpenSSL-based software reads it: the file
 * named by `SSL_CERT_FILE` (else the first of the usual distribution bundles) and the
 * directories named by `SSL_CERT_DIR` (else /etc/ssl/certs). Where Node has
 * `tls.getCACertificates('system')` (Node 22.15 / 23.5 and later; it also reads the Windows and
 * macOS stores) and neither variable is set, that is used instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { equalBytes } from '../util/bytes.ts';
import { pemCertificates } from '../util/pem.ts';
import { certificateIdentity } from '../verify/cert-layout.ts';

/** Where distributions keep their bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine/BSD). */
export const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];
/** The usual hashed certificate directory. */
export const SYSTEM_DIRS = ['/etc/ssl/certs'];

/** What `systemRoots` reads from; replaceable for tests. */
export interface SystemStore {
  env: Record<string, string | undefined>;
  /** `tls.getCACertificates`, when the runtime has it. */
  getCACertificates?: (type: 'system') => string[];
  readFile(path: string): string | undefined;
  readDir(path: string): string[];
}

/** The running process's store. */
export function processStore(): SystemStore {
  const get = (tls as { getCACertificates?: (type: 'system') => string[] }).getCACertificates;
  return {
    env: process.env,
    getCACertificates: typeof get === 'function' ? get : undefined,
    readFile(path) {
      try {
        return readFileSync(path, 'latin1');
      } catch {
        return undefined;
      }
    },
    readDir(path) {
      try {
        return readdirSync(path).map((name) => join(path, name));
      } catch {
        return [];
      }
    },
  };
}

/** The certificates in PEM text that look like certificates (others are skipped). */
function certificatesIn(text: string | undefined): Uint8Array[] {
  if (!text?.includes('-----BEGIN CERTIFICATE-----')) return [];
  try {
    return pemCertificates(text);
  } catch {
    return [];
  }
}

/**
 * The system's trust anchors, DER, without duplicates and without entries whose outer
 * structure does not parse. Empty when the store cannot be found.
 */
export function systemRoots(store: SystemStore = processStore()): Uint8Array[] {
  const file = store.env.SSL_CERT_FILE;
  const dirs = store.env.SSL_CERT_DIR;
  let found: Uint8Array[] = [];
  if (file === undefined && dirs === undefined && store.getCACertificates) {
    try {
      found = store.getCACertificates('system').flatMap(certificatesIn);
    } catch {
      // Deno without --allow-sys refuses ("NotCapable"): read the files below instead.
      found = [];
    }
  }
  if (found.length === 0) {
    if (file !== undefined) {
      found.push(...certificatesIn(store.readFile(file)));
    } else {
      for (const bundle of SYSTEM_BUNDLES) {
        const certs = certificatesIn(store.readFile(bundle));
        if (certs.length > 0) {
          found.push(...certs);
          break;
        }
      }
    }
    const dirList = dirs !== undefined ? dirs.split(':').filter(Boolean) : SYSTEM_DIRS;
    for (const dir of dirList) {
      for (const path of store.readDir(dir)) {
        // Hashed links (abcd1234.0) and .pem/.crt files; bundles in the directory are read too.
        if (!/\.(pem|crt|\d+)$/.test(path)) continue;
        found.push(...certificatesIn(store.readFile(path)));
      }
    }
  }
  const unique: Uint8Array[] = [];
  for (const der of found) {
    try {
      certificateIdentity(der);
    } catch {
      continue;
    }
    if (!unique.some((u) => equalBytes(u, der))) unique.push(der);
  }
  return unique;
}

/**
 * The built-in server certificate verifier: path building to configured roots (path.ts), then
 * the server's identity against the end-entity certificate's subjectAltName (RFC 6125).
 */
import { TlsError } from '../error.ts';
import { parseTrustAnchors, type TrustAnchor } from './anchors.ts';
import { formatIpAddress, matchesIdentity, referenceId } from './names.ts';
import { buildPath } from './path.ts';
import { RevocationChecker, type RevocationOptions } from './revocation.ts';
import type { ServerCertVerifier, ServerIdentity, VerifiedChain, VerifyOptions } from './types.ts';
import { EkuOid, type ParsedCertificate, parseCertificate } from './x509.ts';

/** Options of `webpkiVerifier`. */
export interface WebpkiVerifierOptions {
  /**
   * Trust anchors: PEM text (each string may hold several certificates) or DER. When omitted,
   * Mozilla's root store bundled with webtls (`mozillaRoots()`).
   */
  roots?: readonly (string | Uint8Array)[];
  /** Signature checks allowed while building one path (default 100). */
  maxSignatureChecks?: number;
  /** Longest path, end-entity and trust anchor included (default 8). */
  maxPathLength?: number;
  /**
   * Parse every root in `roots` when the verifier is built, so a bad one is a CONFIG error
   * (default true). False only indexes them and parses each when a path reaches it, as for the
   * bundled store: for large stores such as the operating system's.
   */
  parseRootsNow?: boolean;
  /** Revocation checking by CRL (RFC 5280 §6.3); none when omitted. */
  revocation?: RevocationOptions;
}

let defaultAnchors: Promise<TrustAnchor[]> | undefined;

/**
 * Mozilla's roots, loaded and indexed once per process on first use (each parsed when first
 * reached). The module holding them (some 220 kB) is imported dynamically, so that bundlers put
 * it in a chunk of its own, fetched only by applications that verify against the default roots.
 */
function mozillaAnchors(): Promise<TrustAnchor[]> {
  defaultAnchors ??= import('./roots/index.ts').then(
    (roots) => parseTrustAnchors(roots.mozillaRoots()),
    (error) => {
      defaultAnchors = undefined; // a failed load (a network error in a browser) may be retried
      throw new TlsError('CONFIG', 'tls: the bundled root certificates could not be loaded', {
        layer: 'config',
        cause: error,
      });
    },
  );
  return defaultAnchors;
}

function describeNames(cert: ParsedCertificate): string {
  const names = [...cert.dnsNames, ...cert.ipAddresses.map(formatIpAddress)];
  return names.length > 0 ? names.join(', ') : 'no subjectAltName';
}

/**
 * A webpki-style ServerCertVerifier: the presented chain (end-entity first, the rest in any
 * order) must lead to one of `roots` under RFC 5280 rules, the end-entity certificate must
 * allow serverAuth, and its subjectAltName must match the server identity (DNS names only
 * against dNSName entries, IP addresses only against iPAddress entries, no CN fallback).
 *
 * Failures throw TlsError (layer 'verify'): CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_NOT_CA,
 * CERT_PATH_LEN, CERT_BAD_KEY_USAGE, CERT_BAD_EKU, CERT_NAME_CONSTRAINTS, CERT_NAME_MISMATCH,
 * CERT_UNKNOWN_ISSUER, CERT_BAD_SIGNATURE, CERT_UNKNOWN (search bounds),
 * UNSUPPORTED_CERTIFICATE or BAD_CERTIFICATE. Invalid `roots` throw CONFIG here.
 */
export function webpkiVerifier(options: WebpkiVerifierOptions = {}): ServerCertVerifier {
  const configured = options.roots ? parseTrustAnchors(options.roots) : undefined;
  // Configured roots are usually few: parse them now so a bad one is a configuration error.
  const parseNow = options.parseRootsNow ?? true;
  configured?.forEach((anchor, i) => {
    if (!parseNow) return;
    try {
      anchor.parsed();
    } catch (e) {
      throw new TlsError('CONFIG', `tls: root certificate #${i} cannot be parsed`, {
        layer: 'config',
        cause: e,
      });
    }
  });
  const revocation = options.revocation ? new RevocationChecker(options.revocation) : undefined;
  return {
    async verifyServer(
      chain: readonly Uint8Array[],
      identity: ServerIdentity,
      verifyOptions: VerifyOptions,
    ): Promise<VerifiedChain> {
      // Parse (and copy) everything before the first await: callers may reuse their buffers.
      if (chain.length === 0) {
        throw new TlsError('BAD_CERTIFICATE', 'tls: the server sent no certificate', {
          layer: 'verify',
        });
      }
      const [leaf, ...intermediates] = chain.map((der) => parseCertificate(der));
      const now = verifyOptions.now ?? new Date();
      const reference = referenceId(identity.name);
      if (reference === undefined) {
        throw new TlsError(
          'CONFIG',
          `tls: server name "${identity.name}" is neither a DNS name nor an IP address`,
          { layer: 'config' },
        );
      }

      const path = await buildPath(leaf, {
        anchors: configured ?? (await mozillaAnchors()),
        intermediates,
        provider: verifyOptions.provider,
        now,
        eku: EkuOid.serverAuth,
        maxSignatureChecks: options.maxSignatureChecks,
        maxPathLength: options.maxPathLength,
      });

      // RFC 6125 §6: the reference identity must match a presented identifier.
      if (!matchesIdentity(reference, leaf)) {
        throw new TlsError(
          'CERT_NAME_MISMATCH',
          `tls: certificate "${leaf.subject.text}" is not valid for "${identity.name}" ` +
            `(it names ${describeNames(leaf)})`,
          { layer: 'verify' },
        );
      }
      // RFC 5280 §6.3: revocation status of the path found, when configured.
      await revocation?.check(path, verifyOptions.provider, now);
      return { path: path.map((c) => c.der) };
    },
  };
}

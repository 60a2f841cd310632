/**
 * The built-in client certificate verifier: path building to configured roots (path.ts) with
 * extended key usage clientAuth. A client has no name to check.
 */
import { TlsError } from '../error.ts';
import { parseTrustAnchors } from './anchors.ts';
import { buildPath } from './path.ts';
import { RevocationChecker, type RevocationOptions } from './revocation.ts';
import type { ClientCertVerifier, VerifiedChain, VerifyOptions } from './types.ts';
import { EkuOid, parseCertificate } from './x509.ts';

/** Options of `webpkiClientVerifier`. */
export interface WebpkiClientVerifierOptions {
  /** Trust anchors for client certificates: PEM text or DER. Required: there is no default. */
  roots: readonly (string | Uint8Array)[];
  /**
   * List the roots' subjects in the CertificateRequest's certificate_authorities extension
   * (RFC 8446 §4.2.4), so clients can choose a certificate. Default true. The list is left out
   * when it would not fit in the extension (64 KiB).
   */
  sendCertificateAuthorities?: boolean;
  /** Signature checks allowed while building one path (default 100). */
  maxSignatureChecks?: number;
  /** Longest path, end-entity and trust anchor included (default 8). */
  maxPathLength?: number;
  /** Revocation checking by CRL (RFC 5280 §6.3); none when omitted. */
  revocation?: RevocationOptions;
}

/** certificate_authorities holds at most 2^16-1 bytes of length-prefixed names. */
const MAX_AUTHORITIES_BYTES = 0xffff;

/**
 * A webpki-style ClientCertVerifier: the presented chain (end-entity first, the rest in any
 * order) must lead to one of `roots` under RFC 5280 rules, and the end-entity certificate (and
 * every intermediate that carries the extension) must allow extended key usage clientAuth.
 *
 * Failures throw TlsError (layer 'verify') with the codes `webpkiVerifier` uses, except
 * CERT_NAME_MISMATCH. Invalid `roots` throw CONFIG here.
 */
export function webpkiClientVerifier(options: WebpkiClientVerifierOptions): ClientCertVerifier {
  const anchors = parseTrustAnchors(options.roots);
  anchors.forEach((anchor, i) => {
    try {
      anchor.parsed();
    } catch (e) {
      throw new TlsError('CONFIG', `tls: client root certificate #${i} cannot be parsed`, {
        layer: 'config',
        cause: e,
      });
    }
  });
  const names = anchors.map((a) => a.subject);
  const size = names.reduce((n, dn) => n + 2 + dn.length, 0);
  const send = (options.sendCertificateAuthorities ?? true) && size <= MAX_AUTHORITIES_BYTES;
  const revocation = options.revocation ? new RevocationChecker(options.revocation) : undefined;
  return {
    acceptableIssuers: send ? names : undefined,
    async verifyClient(
      chain: readonly Uint8Array[],
      verifyOptions: VerifyOptions,
    ): Promise<VerifiedChain> {
      if (chain.length === 0) {
        throw new TlsError('BAD_CERTIFICATE', 'tls: the client sent no certificate', {
          layer: 'verify',
        });
      }
      // Parse (and copy) everything before the first await.
      const [leaf, ...intermediates] = chain.map((der) => parseCertificate(der));
      const now = verifyOptions.now ?? new Date();
      const path = await buildPath(leaf, {
        anchors,
        intermediates,
        provider: verifyOptions.provider,
        now,
        eku: EkuOid.clientAuth,
        maxSignatureChecks: options.maxSignatureChecks,
        maxPathLength: options.maxPathLength,
      });
      // RFC 5280 §6.3: revocation status of the path found, when configured.
      await revocation?.check(path, verifyOptions.provider, now);
      return { path: path.map((c) => c.der) };
    },
  };
}

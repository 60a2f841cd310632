/**
 * node:tls's certificate semantics over a webtls verifier: the chain is checked by webtls
 * (webpki rules against `ca` or Mozilla's roots), the name by `checkServerIdentity` (node's
 * rules, or the application's function), and with `rejectUnauthorized: false` a failure is
 * recorded instead of ending the handshake.
 */
import { TlsError } from '../../error.ts';
import type { ServerCertVerifier, VerifiedChain } from '../../verify/types.ts';
import { checkServerIdentity as defaultCheck } from './check-server-identity.ts';
import { type NodeTlsError, toNodeError, verifyErrorCode } from './errors.ts';
import { type DetailedPeerCertificate, describeChain } from './peer-certificate.ts';

/** node:tls's `checkServerIdentity` option. */
export type CheckServerIdentity = (
  hostname: string,
  cert: DetailedPeerCertificate,
) => Error | undefined;

/** What one connection's check found: node's `authorized` and `authorizationError`. */
export interface Authorization {
  authorized: boolean;
  /** The failure, with node's code; undefined when authorized or not yet checked. */
  error: NodeTlsError | undefined;
  /** The path to the trust anchor when the chain verified, else the chain as sent. */
  path: Uint8Array[];
}

export interface AuthorizationOptions {
  /** Chain verification (the name check in it is replaced by `checkServerIdentity`). */
  inner: ServerCertVerifier;
  /** The name certificates must be valid for (node: servername, else host). */
  hostname: string;
  rejectUnauthorized: boolean;
  checkServerIdentity?: CheckServerIdentity;
}

/** Whether a TlsError is a verdict on the certificate (as opposed to, say, a bad config). */
function isCertificateVerdict(error: unknown): error is TlsError {
  return (
    error instanceof TlsError &&
    (error.layer === 'verify' ||
      error.code.startsWith('CERT_') ||
      error.code === 'BAD_CERTIFICATE' ||
      error.code === 'UNSUPPORTED_CERTIFICATE')
  );
}

/**
 * A verifier that records the verdict in `state`. It throws (ending the handshake with the
 * alert for the failure) only when `rejectUnauthorized` is set; otherwise the connection goes
 * on, unauthorized, as node:tls's does.
 */
export function authorizingVerifier(
  options: AuthorizationOptions,
  state: Authorization,
): ServerCertVerifier {
  return {
    async verifyServer(chain, identity, verifyOptions): Promise<VerifiedChain> {
      const sent = chain.map((der) => der.slice());
      let path: Uint8Array[] | undefined;
      let nameMatched = false;
      let failure: NodeTlsError | undefined;
      let cause: TlsError | undefined;

      // 1. The chain, by webtls. It checks the name last: a mismatch means the chain is good.
      try {
        path = (await options.inner.verifyServer(sent, identity, verifyOptions)).path;
        nameMatched = true;
      } catch (error) {
        if (!isCertificateVerdict(error)) throw error;
        if (error.code === 'CERT_NAME_MISMATCH') {
          path = sent;
        } else {
          cause = error;
          failure = toNodeError(error, verifyErrorCode(error, sent));
        }
      }

      // 2. The name, by node's rules (webtls's match is stricter: no CN fallback) or the
      // application's own function, which is asked even when webtls's check passed.
      if (!failure && (!nameMatched || options.checkServerIdentity)) {
        const check = options.checkServerIdentity ?? defaultCheck;
        const cert = describeChain(path ?? sent, true) as DetailedPeerCertificate;
        const verdict = check(options.hostname, cert);
        if (verdict) {
          failure = verdict as NodeTlsError;
          failure.code ??= 'ERR_TLS_CERT_ALTNAME_INVALID';
          cause = new TlsError('CERT_NAME_MISMATCH', verdict.message, {
            layer: 'verify',
            cause: verdict,
          });
        }
      }

      state.path = path ?? sent;
      state.authorized = failure === undefined;
      state.error = failure;
      if (failure && options.rejectUnauthorized) throw cause;
      return { path: state.path };
    },
  };
}

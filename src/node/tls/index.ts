/**
 * `webtls/node/tls`: a node:tls-compatible API over webtls, for code written against node:tls
 * (`import tls from 'webtls/node/tls'` in place of `import tls from 'node:tls'`). See
 * docs/node-tls.md for what is and is not supported.
 */
import { checkServerIdentity } from './check-server-identity.ts';
import { connect } from './connect.ts';
import { rootCertificatePems } from './root-certificates.ts';
import { createSecureContext, SecureContext } from './secure-context.ts';
import { TLSSocket } from './tls-socket.ts';

export type { AltNameError } from './check-server-identity.ts';
export { type ConnectionOptions, connect } from './connect.ts';
export { type NodeTlsError, toNodeError } from './errors.ts';
export type { CommonTlsOptions, KeyWithPassphrase, PemInput } from './options.ts';
export type { DetailedPeerCertificate, PeerCertificate } from './peer-certificate.ts';
export { createSecureContext, SecureContext } from './secure-context.ts';
export { type CipherNameAndProtocol, TLSSocket, type TLSSocketOptions } from './tls-socket.ts';
export { checkServerIdentity };

/** The lowest version used when `minVersion` is not given. */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
/** The highest version used when `maxVersion` is not given. */
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
/** The curves used when `ecdhCurve` is not given: webtls's defaults. */
export const DEFAULT_ECDH_CURVE = 'auto';

/** Mozilla's root certificates bundled with webtls, PEM, as node:tls's `rootCertificates`. */
export const rootCertificates: readonly string[] = rootCertificatePems();

/** Everything above as one object, for `import tls from 'webtls/node/tls'`. */
const tls = {
  connect,
  TLSSocket,
  createSecureContext,
  SecureContext,
  checkServerIdentity,
  rootCertificates,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  DEFAULT_ECDH_CURVE,
};

export default tls;

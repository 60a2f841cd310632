/**
 * `rootCertificates`: the trust anchors webtls uses by default (Mozilla's, bundled in
 * src/verify/roots), as PEM strings like node:tls's.
 */
import { pemEncode } from '../../util/pem.ts';
import { mozillaRoots } from '../../verify/roots/index.ts';

let pems: readonly string[] | undefined;

/** The bundled roots as frozen PEM strings, made on first use. */
export function rootCertificatePems(): readonly string[] {
  pems ??= Object.freeze(mozillaRoots().map((der) => pemEncode('CERTIFICATE', der).trim()));
  return pems;
}

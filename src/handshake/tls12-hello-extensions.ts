import { TlsError } from '../error.ts';
import { ExtensionType } from '../msgs/enums.ts';
import {
  decodeEcPointFormats,
  EC_POINT_FORMAT_UNCOMPRESSED,
} from '../msgs/extensions/ec-point-formats.ts';
import { decodeEmptyExtension } from '../msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../msgs/extensions/extension.ts';
import { decodeRenegotiationInfo } from '../msgs/extensions/renegotiation-info.ts';

/** What a TLS 1.2 hello said about renegotiation and the extended master secret. */
export interface Tls12HelloFlags {
  /** renegotiation_info was present (and empty). */
  renegotiationInfo: boolean;
  /** extended_master_secret was present. */
  ems: boolean;
  /** ec_point_formats was present (a server answers it only then, RFC 8422 §5.2). */
  pointFormats: boolean;
}

/**
 * The TLS 1.2 hello extensions both sides check the same way, in the peer's ClientHello or
 * ServerHello: renegotiation_info, extended_master_secret and ec_point_formats.
 */
export function checkTls12HelloExtensions(
  extensions: readonly Extension[],
  requireEms: boolean,
  peer: 'client' | 'server',
): Tls12HelloFlags {
  // RFC 5746 §3.4, §3.6: on an initial handshake renegotiation_info must be empty; a non-empty
  // one "MUST abort the handshake" with handshake_failure.
  const reneg = findExtension(extensions, ExtensionType.renegotiation_info);
  if (reneg && decodeRenegotiationInfo(reneg).length !== 0) {
    throw new TlsError('HANDSHAKE_FAILURE', 'tls: non-empty renegotiation_info');
  }

  // RFC 7627 §5.3: a side that requires the extended master secret aborts the handshake when
  // the peer does not negotiate it.
  const ems = findExtension(extensions, ExtensionType.extended_master_secret);
  if (ems) decodeEmptyExtension(ExtensionType.extended_master_secret, ems);
  if (!ems && requireEms) {
    throw new TlsError('HANDSHAKE_FAILURE', `tls: ${peer} does not use extended master secret`);
  }

  // RFC 8422 §5.1.2: uncompressed is the one format every implementation supports (and the
  // only one we offer); a list without it → illegal_parameter.
  const formats = findExtension(extensions, ExtensionType.ec_point_formats);
  if (formats && !decodeEcPointFormats(formats).includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
    throw new TlsError('ILLEGAL_PARAMETER', `tls: ${peer} ec_point_formats lacks uncompressed`);
  }
  return {
    renegotiationInfo: reneg !== undefined,
    ems: ems !== undefined,
    pointFormats: formats !== undefined,
  };
}

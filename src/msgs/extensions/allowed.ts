import { illegalParameter, TlsError } from '../../error.ts';
import { ExtensionType, HandshakeType, isGrease, nameOf } from '../enums.ts';
import type { Extension } from './extension.ts';

/**
 * The TLS 1.3 messages that carry extensions, named as in the RFC 8446 §4.2 table: ClientHello,
 * ServerHello, HelloRetryRequest, EncryptedExtensions, Certificate (each CertificateEntry),
 * CertificateRequest, NewSessionTicket.
 */
export type ExtensionContext = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';

const E = ExtensionType;

/**
 * Where each recognized extension may appear in TLS 1.3: the RFC 8446 §4.2 table, plus the
 * TLS 1.3 column of the IANA registry for the extensions other documents define. Extensions used
 * only by TLS 1.2 and earlier are allowed in a ClientHello (which may offer TLS 1.2) and nowhere
 * else.
 */
export const EXTENSION_CONTEXTS: ReadonlyMap<ExtensionType, readonly ExtensionContext[]> = new Map<
  ExtensionType,
  readonly ExtensionContext[]
>([
  // RFC 8446 §4.2 table.
  [E.server_name, ['CH', 'EE']],
  [E.max_fragment_length, ['CH', 'EE']],
  [E.status_request, ['CH', 'CR', 'CT']],
  [E.supported_groups, ['CH', 'EE']],
  [E.signature_algorithms, ['CH', 'CR']],
  [E.use_srtp, ['CH', 'EE']],
  [E.heartbeat, ['CH', 'EE']],
  [E.application_layer_protocol_negotiation, ['CH', 'EE']],
  [E.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [E.client_certificate_type, ['CH', 'EE']],
  [E.server_certificate_type, ['CH', 'EE']],
  [E.padding, ['CH']],
  [E.key_share, ['CH', 'SH', 'HRR']],
  [E.pre_shared_key, ['CH', 'SH']],
  [E.psk_key_exchange_modes, ['CH']],
  [E.early_data, ['CH', 'EE', 'NST']],
  [E.cookie, ['CH', 'HRR']],
  [E.supported_versions, ['CH', 'SH', 'HRR']],
  [E.certificate_authorities, ['CH', 'CR']],
  [E.oid_filters, ['CR']],
  [E.post_handshake_auth, ['CH']],
  [E.signature_algorithms_cert, ['CH', 'CR']],
  // RFC 8879 §3 (client in ClientHello, server in CertificateRequest).
  [E.compress_certificate, ['CH', 'CR']],
  // RFC 8449 §4 (in TLS 1.3 the server's reply goes in EncryptedExtensions).
  [E.record_size_limit, ['CH', 'EE']],
  // draft-ietf-tls-esni: offered in ClientHello, retry configs in EncryptedExtensions, the
  // acceptance signal in HelloRetryRequest; ech_outer_extensions only in ClientHelloInner.
  [E.encrypted_client_hello, ['CH', 'EE', 'HRR']],
  [E.ech_outer_extensions, ['CH']],
  // TLS 1.2 only (RFC 8422, 7627, 5746, 5077, 7366): a ClientHello may carry them.
  [E.ec_point_formats, ['CH']],
  [E.extended_master_secret, ['CH']],
  [E.renegotiation_info, ['CH']],
  [E.session_ticket, ['CH']],
  [E.encrypt_then_mac, ['CH']],
]);

/** Options for {@link checkAllowed} and {@link checkOffered}. */
export interface ExtensionCheckOptions {
  /** The message is a HelloRetryRequest (a ServerHello with the special random, §4.1.3). */
  isHrr?: boolean;
}

/** The §4.2 table column for a handshake message type. */
export function extensionContext(
  messageType: HandshakeType,
  options: ExtensionCheckOptions = {},
): ExtensionContext {
  switch (messageType) {
    case HandshakeType.client_hello:
      return 'CH';
    case HandshakeType.server_hello:
      return options.isHrr ? 'HRR' : 'SH';
    case HandshakeType.encrypted_extensions:
      return 'EE';
    case HandshakeType.certificate:
      return 'CT';
    case HandshakeType.certificate_request:
      return 'CR';
    case HandshakeType.new_session_ticket:
      return 'NST';
    default:
      throw new TlsError(
        'INTERNAL_ERROR',
        `tls: ${nameOf(HandshakeType, messageType, 2)} carries no extensions`,
      );
  }
}

/**
 * Checks a TLS 1.3 message's extensions against the §4.2 table. Extensions this table does not
 * know (including GREASE) are left alone: a server ignores them in a ClientHello (§4.1.2), a
 * client ignores them in CertificateRequest and NewSessionTicket (§4.3.2, §4.6.1), and in a
 * server's reply {@link checkOffered} rejects them because the client never offered them.
 *
 * For Certificate, call once per CertificateEntry with that entry's extensions. For a TLS 1.2
 * ServerHello this table does not apply; use only {@link checkOffered}.
 *
 * @throws TlsError ILLEGAL_PARAMETER for a recognized extension in a message the table does not
 * list it for, or a ClientHello whose pre_shared_key is not the last extension
 */
export function checkAllowed(
  messageType: HandshakeType,
  extensions: readonly Extension[],
  options: ExtensionCheckOptions = {},
): void {
  const context = extensionContext(messageType, options);
  for (let i = 0; i < extensions.length; i++) {
    const type = extensions[i].type;
    const allowed = EXTENSION_CONTEXTS.get(type);
    // RFC 8446 §4.2: "If an implementation receives an extension which it recognizes and which
    // is not specified for the message in which it appears, it MUST abort the handshake with an
    // "illegal_parameter" alert."
    if (allowed !== undefined && !allowed.includes(context)) {
      throw illegalParameter(
        `tls: ${nameOf(ExtensionType, type)} extension is not allowed in ${context}`,
      );
    }
    // RFC 8446 §4.2.11: "The "pre_shared_key" extension MUST be the last extension in the
    // ClientHello [...]. Servers MUST check that it is the last extension and otherwise fail the
    // handshake with an "illegal_parameter" alert."
    if (context === 'CH' && type === ExtensionType.pre_shared_key && i !== extensions.length - 1) {
      throw illegalParameter('tls: pre_shared_key is not the last ClientHello extension');
    }
  }
}

/**
 * Checks that every extension in a reply (ServerHello, HelloRetryRequest, EncryptedExtensions,
 * the server's CertificateEntry extensions, or a client Certificate answering a
 * CertificateRequest) answers one that was offered.
 *
 * @param offered the extension types of the request (the ClientHello, or the CertificateRequest)
 * @param received the reply's extensions
 * @throws TlsError UNSUPPORTED_EXTENSION for an extension that was not offered, except cookie in
 * a HelloRetryRequest (§4.2.2), and for any GREASE extension (RFC 8701 §3: a GREASE value in a
 * server's extensions is a failure even if the client sent it)
 */
export function checkOffered(
  offered: Iterable<ExtensionType>,
  received: readonly Extension[],
  options: ExtensionCheckOptions = {},
): void {
  const offeredSet = new Set(offered);
  for (const { type } of received) {
    // RFC 8446 §4.2.2: the cookie in a HelloRetryRequest is the one unsolicited reply.
    if (options.isHrr && type === ExtensionType.cookie) continue;
    // RFC 8446 §4.2: "Implementations MUST NOT send extension responses if the remote endpoint
    // did not send the corresponding extension requests [...]. Upon receiving such an
    // extension, an endpoint MUST abort the handshake with an "unsupported_extension" alert."
    if (!offeredSet.has(type) || isGrease(type)) {
      throw new TlsError(
        'UNSUPPORTED_EXTENSION',
        `tls: peer sent ${nameOf(ExtensionType, type)} extension that was not offered`,
      );
    }
  }
}

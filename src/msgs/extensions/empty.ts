import { decodeError } from '../../error.ts';
import { ExtensionType, nameOf } from '../enums.ts';

/*
 * RFC 8446 §4.2.10, §4.2.6, RFC 7627 §5.1, RFC 6066 §3 (server reply):
 *
 *   struct {} Empty;
 *
 * The extension_data of early_data (ClientHello, EncryptedExtensions), post_handshake_auth,
 * extended_master_secret, and the server's server_name reply.
 */

/** The extension_data of an extension whose body is `struct {} Empty`. */
export const EMPTY_EXTENSION_DATA: Uint8Array = new Uint8Array(0);

/**
 * Checks that the extension_data of an `Empty` extension is empty.
 *
 * @param type the extension type, for the message
 * @throws TlsError DECODE_ERROR when it carries any bytes
 */
export function decodeEmptyExtension(type: ExtensionType, data: Uint8Array): void {
  if (data.length !== 0) {
    throw decodeError(`tls: ${nameOf(ExtensionType, type)} extension must be empty`);
  }
}

import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { decodeError, illegalParameter, TlsError } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';
import { ServerNameType } from '../enums.ts';

/*
 * RFC 6066 §3:
 *
 *   struct {
 *       NameType name_type;
 *       select (name_type) {
 *           case host_name: HostName;
 *       } name;
 *   } ServerName;
 *
 *   enum { host_name(0), (255) } NameType;
 *
 *   opaque HostName<1..2^16-1>;
 *
 *   struct {
 *       ServerName server_name_list<1..2^16-1>
 *   } ServerNameList;
 *
 * In the server's reply (EncryptedExtensions in TLS 1.3, ServerHello in TLS 1.2) the
 * extension_data is empty: decode that form with `decodeEmptyExtension`.
 */

/**
 * Encodes the ClientHello server_name extension_data: a list with exactly one host_name.
 *
 * @param host an ASCII DNS name without a trailing dot (RFC 6066 §3)
 * @throws TlsError INTERNAL_ERROR for an empty, over-long or non-ASCII name
 */
export function encodeServerName(host: string): Uint8Array {
  checkEncodeLength('HostName', host.length, 1, 0xffff - 3);
  const bytes = new Uint8Array(host.length);
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      throw new TlsError('INTERNAL_ERROR', 'tls: cannot encode a non-ASCII HostName', {
        layer: 'codec',
      });
    }
    bytes[i] = c;
  }
  const w = new Writer();
  w.vec(2, (list) => list.u8(ServerNameType.host_name).vec16(bytes));
  return w.finish();
}

/**
 * Decodes the ClientHello server_name extension_data and returns its one host name.
 *
 * @throws TlsError DECODE_ERROR for a malformed list, a name_type other than host_name (its
 * `name` cannot be parsed), or a name with bytes outside printable ASCII
 * @throws TlsError ILLEGAL_PARAMETER for more than one host_name (RFC 6066 §3)
 */
export function decodeServerName(data: Uint8Array): string {
  const r = new Reader(data);
  const list = r.sub(2, 'server_name_list', 1);
  r.end('server_name extension');
  let host: string | undefined;
  while (!list.done) {
    const type = list.u8('name_type');
    // RFC 6066 §3 defines only host_name; the `name` of any other type has no known length.
    if (type !== ServerNameType.host_name) throw decodeError(`tls: unknown SNI name_type ${type}`);
    const name = list.vec16('HostName', 1);
    // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the same
    // name_type."
    if (host !== undefined) throw illegalParameter('tls: more than one host_name in server_name');
    host = asciiHostName(name);
  }
  return host as string;
}

/** RFC 6066 §3: "The hostname is represented as a byte string using ASCII encoding". */
function asciiHostName(name: Uint8Array): string {
  let s = '';
  for (const c of name) {
    if (c < 0x21 || c > 0x7e) throw decodeError('tls: server_name HostName is not printable ASCII');
    s += String.fromCharCode(c);
  }
  return s;
}

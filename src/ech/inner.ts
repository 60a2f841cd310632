import { Reader } from '../codec/reader.ts';
import { decodeError, illegalParameter } from '../error.ts';
import { type ClientHello, decodeClientHello, encodeClientHello } from '../msgs/client-hello.ts';
import { ExtensionType } from '../msgs/enums.ts';
import {
  decodeOuterExtensions,
  ECH_EXTENSION,
  type EchOuter,
  encodeEchOuter,
  encodeOuterExtensions,
} from '../msgs/extensions/ech.ts';
import type { Extension } from '../msgs/extensions/extension.ts';

/**
 * EncodedClientHelloInner (draft-ietf-tls-esni §5.1) and ClientHelloOuterAAD (§5.2):
 *
 *   struct {
 *       ClientHello client_hello;
 *       uint8 zeros[length_of_padding];
 *   } EncodedClientHelloInner;
 */

/**
 * Encodes ClientHelloInner for encryption: legacy_session_id emptied, the extensions whose types
 * are in `compress` (a contiguous run in the inner hello, in the same order as in the outer)
 * replaced by one ech_outer_extensions, then zero padding by the recommended scheme (§6.1.3):
 * the server name up to `maxNameLength` (or a whole server_name extension's worth when there is
 * none), then up to a multiple of 32 bytes.
 */
export function encodeInner(
  inner: ClientHello,
  compress: readonly number[],
  maxNameLength: number,
  serverName: string | undefined,
): Uint8Array {
  const extensions: Extension[] = [];
  let placed = false;
  for (const ext of inner.extensions) {
    if (!compress.includes(ext.type)) {
      extensions.push(ext);
    } else if (!placed) {
      extensions.push({
        type: ExtensionType.ech_outer_extensions,
        data: encodeOuterExtensions(compress),
      });
      placed = true;
    }
  }
  const hello = encodeClientHello({ ...inner, legacySessionId: new Uint8Array(0), extensions });
  const nameLength = serverName === undefined ? 0 : new TextEncoder().encode(serverName).length;
  let padding =
    serverName === undefined ? maxNameLength + 9 : Math.max(0, maxNameLength - nameLength);
  const total = hello.length + padding;
  padding += 31 - ((total - 1) % 32);
  const out = new Uint8Array(hello.length + padding);
  out.set(hello);
  return out;
}

/**
 * Rebuilds ClientHelloInner from its encoding and ClientHelloOuter (§5.1), in linear time.
 *
 * @throws TlsError ILLEGAL_PARAMETER for non-zero padding, a referenced extension missing from
 * the outer hello or out of order, one referenced twice, or encrypted_client_hello referenced;
 * DECODE_ERROR when it does not parse
 */
export function decodeInner(encoded: Uint8Array, outer: ClientHello): ClientHello {
  const end = clientHelloLength(encoded);
  for (let i = end; i < encoded.length; i++) {
    // "If any padding byte is non-zero, the server MUST abort the connection with an
    // "illegal_parameter" alert."
    if (encoded[i] !== 0) throw illegalParameter('tls: ECH inner padding is not zero');
  }
  const hello = decodeClientHello(encoded.subarray(0, end));
  const extensions: Extension[] = [];
  let cursor = 0;
  let seenOuterExtensions = false;
  for (const ext of hello.extensions) {
    if (ext.type !== ExtensionType.ech_outer_extensions) {
      extensions.push(ext);
      continue;
    }
    if (seenOuterExtensions) throw illegalParameter('tls: two ech_outer_extensions');
    seenOuterExtensions = true;
    const types = decodeOuterExtensions(ext.data);
    if (new Set(types).size !== types.length) {
      throw illegalParameter('tls: ech_outer_extensions references an extension twice');
    }
    for (const type of types) {
      if (type === ECH_EXTENSION) {
        throw illegalParameter('tls: ech_outer_extensions references encrypted_client_hello');
      }
      // One forward scan over the outer extensions: references must come in outer order.
      while (cursor < outer.extensions.length && outer.extensions[cursor].type !== type) cursor++;
      if (cursor === outer.extensions.length) {
        throw illegalParameter('tls: ech_outer_extensions references a missing extension');
      }
      extensions.push(outer.extensions[cursor]);
      cursor++;
    }
  }
  return { ...hello, legacySessionId: outer.legacySessionId, extensions };
}

/** The length of the ClientHello struct at the start of `data` (what follows is padding). */
function clientHelloLength(data: Uint8Array): number {
  const r = new Reader(data);
  r.u16('ClientHello.legacy_version');
  r.bytes(32, 'ClientHello.random');
  r.vec8('legacy_session_id', 0, 32);
  r.vec16('cipher_suites', 2);
  r.vec8('legacy_compression_methods', 1);
  if (r.done) throw decodeError('tls: EncodedClientHelloInner without extensions');
  r.vec16('ClientHello.extensions');
  return r.position;
}

/**
 * ClientHelloOuterAAD (§5.2): the outer hello's body with the ECH payload replaced by zeros of
 * the same length. `outer` carries the extension with its real or placeholder payload.
 */
export function outerAad(outer: ClientHello): Uint8Array {
  const extensions = outer.extensions.map((ext) => {
    if (ext.type !== ECH_EXTENSION) return ext;
    return { type: ext.type, data: zeroPayload(ext.data) };
  });
  return encodeClientHello({ ...outer, extensions });
}

/** An outer ECHClientHello's encoding with its payload zeroed (the last field, §5). */
function zeroPayload(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  r.u8('type');
  r.u16('kdf_id');
  r.u16('aead_id');
  r.u8('config_id');
  r.vec16('enc');
  const payloadLength = r.u16('payload length');
  const out = data.slice();
  out.fill(0, out.length - payloadLength);
  return out;
}

/** The outer extension with a zero payload of `payloadLength` bytes, to be sealed into. */
export function placeholderOuter(
  fields: Omit<EchOuter, 'type' | 'payload'>,
  payloadLength: number,
): Uint8Array {
  return encodeEchOuter({ ...fields, payload: new Uint8Array(payloadLength) });
}

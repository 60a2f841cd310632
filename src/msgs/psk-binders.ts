import { illegalParameter, TlsError, unexpectedMessage } from '../error.ts';
import { type ClientHello, decodeClientHello } from './client-hello.ts';
import { ExtensionType, HandshakeType } from './enums.ts';
import { decodeOfferedPsks, pskBindersLength } from './extensions/pre-shared-key.ts';
import { decodeHandshake, MAX_HANDSHAKE_BODY } from './handshake.ts';

/*
 * RFC 8446 §4.2.11.2: each binder is an HMAC over the transcript hash of "a partial ClientHello
 * up to and including the PreSharedKeyExtension.identities field. That is, it includes all of the
 * ClientHello but not the binders list itself. The length fields for the message (including the
 * overall length, the length of the extensions block, and the length of the "pre_shared_key"
 * extension) are all set as if binders of the correct lengths were present."
 *
 * Because pre_shared_key is the last extension (§4.2.11) and binders its last field, the
 * partial ClientHello is the framed message minus the encoded binders vector at its end.
 */

/** The offered PSKs of a ClientHello, read from its last extension. */
function lastPskExtension(ch: ClientHello) {
  const last = ch.extensions[ch.extensions.length - 1];
  if (last === undefined || last.type !== ExtensionType.pre_shared_key) {
    if (ch.extensions.some((e) => e.type === ExtensionType.pre_shared_key)) {
      // §4.2.11: pre_shared_key MUST be the last extension, else illegal_parameter.
      throw illegalParameter('tls: pre_shared_key is not the last ClientHello extension');
    }
    throw new TlsError('INTERNAL_ERROR', 'tls: ClientHello carries no pre_shared_key extension');
  }
  return decodeOfferedPsks(last.data);
}

/**
 * The length of Truncate(ClientHello) (§4.2.11.2): the framed ClientHello (4-byte handshake
 * header included, as in the transcript) up to and including the identities field.
 *
 * @param rawClientHello the whole framed ClientHello, as sent or received
 * @throws TlsError DECODE_ERROR / ILLEGAL_PARAMETER when the ClientHello or its pre_shared_key
 * extension is malformed, or pre_shared_key is not last (§4.2.11)
 * @throws TlsError UNEXPECTED_MESSAGE when the message is not a ClientHello
 * @throws TlsError INTERNAL_ERROR when it has no pre_shared_key extension
 */
export function truncatedClientHelloLength(rawClientHello: Uint8Array): number {
  const msg = decodeHandshake(rawClientHello, MAX_HANDSHAKE_BODY);
  if (msg.type !== HandshakeType.client_hello) {
    throw unexpectedMessage('tls: binder transcript needs a ClientHello');
  }
  const psks = lastPskExtension(decodeClientHello(msg.body));
  return rawClientHello.length - pskBindersLength(psks.binders.map((b) => b.length));
}

/**
 * Truncate(ClientHello) of §4.2.11.2, as a view into `rawClientHello`: the bytes a binder's
 * transcript hash covers (after any earlier ClientHello1 and HelloRetryRequest).
 *
 * @throws TlsError as {@link truncatedClientHelloLength}
 */
export function truncateClientHello(rawClientHello: Uint8Array): Uint8Array {
  return rawClientHello.subarray(0, truncatedClientHelloLength(rawClientHello));
}

/**
 * Returns a copy of a framed ClientHello whose placeholder binders are replaced by `binders`.
 * A client encodes the hello with zeroed binders of the right lengths, hashes
 * {@link truncateClientHello} of it, computes the binders, then fills them in here; all length
 * fields stay valid because the lengths do not change.
 *
 * @throws TlsError INTERNAL_ERROR when the count or a length differs from the placeholders
 */
export function setPskBinders(
  rawClientHello: Uint8Array,
  binders: readonly Uint8Array[],
): Uint8Array {
  const msg = decodeHandshake(rawClientHello, MAX_HANDSHAKE_BODY);
  const placeholders = lastPskExtension(decodeClientHello(msg.body)).binders;
  const sameShape =
    placeholders.length === binders.length &&
    placeholders.every((p, i) => p.length === binders[i].length);
  if (!sameShape) {
    throw new TlsError(
      'INTERNAL_ERROR',
      'tls: PSK binders differ in count or length from placeholders',
    );
  }
  const out = rawClientHello.slice();
  let at = out.length - pskBindersLength(binders.map((b) => b.length)) + 2;
  for (const binder of binders) {
    out.set(binder, at + 1);
    at += 1 + binder.length;
  }
  return out;
}

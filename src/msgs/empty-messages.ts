import { decodeError } from '../error.ts';

/*
 * RFC 5246 §7.4.1.1 and §7.4.5, the TLS 1.2 handshake messages with no body:
 *
 *   struct { } HelloRequest;
 *   struct { } ServerHelloDone;
 */

/** The body of HelloRequest and ServerHelloDone. */
export const EMPTY_BODY: Uint8Array = new Uint8Array(0);

/**
 * Checks that a HelloRequest or ServerHelloDone body is empty.
 *
 * @param name the message, for the error
 * @throws TlsError DECODE_ERROR when it carries any bytes
 */
export function decodeEmptyBody(name: string, body: Uint8Array): void {
  if (body.length !== 0) throw decodeError(`tls: ${name} with a ${body.length}-byte body`);
}

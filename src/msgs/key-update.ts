import { Reader } from '../codec/reader.ts';
import { illegalParameter } from '../error.ts';
import { KeyUpdateRequest } from './enums.ts';

/*
 * RFC 8446 §4.6.3:
 *
 *   enum {
 *       update_not_requested(0), update_requested(1), (255)
 *   } KeyUpdateRequest;
 *
 *   struct {
 *       KeyUpdateRequest request_update;
 *   } KeyUpdate;
 */

/** A KeyUpdate message. */
export interface KeyUpdate {
  /** Whether the receiver must answer with its own KeyUpdate. */
  requestUpdate: KeyUpdateRequest;
}

/** Encodes a KeyUpdate body. */
export function encodeKeyUpdate(ku: KeyUpdate): Uint8Array {
  return Uint8Array.of(ku.requestUpdate);
}

/**
 * Decodes a KeyUpdate body.
 *
 * @throws TlsError DECODE_ERROR unless the body is exactly one byte
 * @throws TlsError ILLEGAL_PARAMETER for a request_update other than 0 or 1 (§4.6.3)
 */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  const r = new Reader(body);
  const requestUpdate = r.u8('request_update');
  r.end('KeyUpdate');
  // §4.6.3: "If an implementation receives any other value, it MUST terminate the connection
  // with an "illegal_parameter" alert."
  if (
    requestUpdate !== KeyUpdateRequest.update_not_requested &&
    requestUpdate !== KeyUpdateRequest.update_requested
  ) {
    throw illegalParameter(`tls: KeyUpdate request_update ${requestUpdate}`);
  }
  return { requestUpdate };
}

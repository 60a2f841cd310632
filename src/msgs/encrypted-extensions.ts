import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { type Extension, readExtensions, writeExtensions } from './extensions/extension.ts';

/*
 * RFC 8446 §4.3.1:
 *
 *   struct {
 *       Extension extensions<0..2^16-1>;
 *   } EncryptedExtensions;
 */

/** EncryptedExtensions: the server's extensions that do not set up the cryptographic context. */
export interface EncryptedExtensions {
  extensions: Extension[];
}

/** Encodes an EncryptedExtensions body. */
export function encodeEncryptedExtensions(ee: EncryptedExtensions): Uint8Array {
  const w = new Writer();
  writeExtensions(w, ee.extensions);
  return w.finish();
}

/**
 * Decodes an EncryptedExtensions body. Which extensions may appear is checked by `checkAllowed`
 * and `checkOffered` (§4.3.1: forbidden extensions get illegal_parameter).
 *
 * @throws TlsError DECODE_ERROR for a malformed block or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a duplicate extension (§4.2)
 */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const r = new Reader(body);
  const extensions = readExtensions(r, 'EncryptedExtensions.extensions');
  r.end('EncryptedExtensions');
  return { extensions };
}

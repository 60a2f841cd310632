/** Small byte helpers shared by every layer. */

export { concat } from '../codec/writer.ts';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(data: Uint8Array): string {
  // One join makes one flat string; `+=` would make a rope node per byte (cache keys are
  // SPKIs and digests, hashed several times a handshake).
  const parts = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) parts[i] = HEX[data[i]];
  return parts.join('');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError('bad hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Constant-time equality for secrets of public length (Finished, binders). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(data: Uint8Array): string {
  return decoder.decode(data);
}

/** A copy that owns its memory (callers' buffers may change after an await). */
export function copy(data: Uint8Array): Uint8Array {
  return data.slice();
}

/** A view typed for WebCrypto (which wants ArrayBuffer-backed views). */
export function bufferSource(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return data as Uint8Array<ArrayBuffer>;
}

/** Base64 for PEM, without relying on Buffer. */
export function toBase64(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]);
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64.replace(/\s/g, ''));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { illegalParameter } from '../../error.ts';
import { checkEncodeLength } from '../encode-check.ts';
import { ExtensionType, nameOf } from '../enums.ts';

/*
 * RFC 8446 §4.2:
 *
 *   struct {
 *       ExtensionType extension_type;
 *       opaque extension_data<0..2^16-1>;
 *   } Extension;
 */

/**
 * One extension as it appears on the wire. Every extension, known, unknown or GREASE, is kept in
 * this form inside messages; the typed codecs in this folder decode `data` on demand.
 */
export interface Extension {
  /** extension_type; unknown and GREASE values are kept as plain numbers. */
  type: ExtensionType;
  /** extension_data, without its length prefix. */
  data: Uint8Array;
}

/**
 * Reads an `Extension extensions<min..max>` block: a u16 length, then extensions in wire order.
 *
 * @throws TlsError DECODE_ERROR on a malformed block or a length outside [min, max]
 * @throws TlsError ILLEGAL_PARAMETER when a type appears twice (RFC 8446 §4.2)
 */
export function readExtensions(
  r: Reader,
  field = 'extensions',
  min = 0,
  max = 0xffff,
): Extension[] {
  const block = r.sub(2, field, min, max);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!block.done) {
    const type = block.u16('extension_type');
    const data = block.vec16(`${nameOf(ExtensionType, type)} extension_data`);
    // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
    // extension block."
    if (seen.has(type)) {
      throw illegalParameter(`tls: duplicate ${nameOf(ExtensionType, type)} extension in ${field}`);
    }
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/**
 * Writes an extensions block: a u16 length, then each extension in the given order. Duplicates
 * are not checked here (decoders reject them).
 */
export function writeExtensions(w: Writer, extensions: readonly Extension[]): void {
  w.vec(2, (inner) => {
    for (const ext of extensions) {
      checkEncodeLength(
        `${nameOf(ExtensionType, ext.type)} extension_data`,
        ext.data.length,
        0,
        0xffff,
      );
      inner.u16(ext.type).vec16(ext.data);
    }
  });
}

/**
 * Decodes a complete extensions block (u16 length prefix included) with nothing after it.
 *
 * @throws TlsError DECODE_ERROR or ILLEGAL_PARAMETER as {@link readExtensions}
 */
export function decodeExtensions(block: Uint8Array): Extension[] {
  const r = new Reader(block);
  const out = readExtensions(r);
  r.end('extensions');
  return out;
}

/** Encodes an extensions block, u16 length prefix included. */
export function encodeExtensions(extensions: readonly Extension[]): Uint8Array {
  const w = new Writer();
  writeExtensions(w, extensions);
  return w.finish();
}

/** The extension_data of the extension of `type`, or `undefined` when absent. */
export function findExtension(
  extensions: readonly Extension[],
  type: ExtensionType,
): Uint8Array | undefined {
  for (const ext of extensions) if (ext.type === type) return ext.data;
  return undefined;
}

/** Whether an extension of `type` is present. */
export function hasExtension(extensions: readonly Extension[], type: ExtensionType): boolean {
  return findExtension(extensions, type) !== undefined;
}

/** The extension types, in wire order. */
export function extensionTypes(extensions: readonly Extension[]): ExtensionType[] {
  return extensions.map((ext) => ext.type);
}

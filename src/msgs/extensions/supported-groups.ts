import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { checkEncodeLength } from '../encode-check.ts';
import type { NamedGroup } from '../enums.ts';

/*
 * RFC 8446 §4.2.7:
 *
 *   struct {
 *       NamedGroup named_group_list<2..2^16-1>;
 *   } NamedGroupList;
 */

/**
 * Encodes the supported_groups extension_data.
 *
 * @throws TlsError INTERNAL_ERROR for an empty list
 */
export function encodeSupportedGroups(groups: readonly NamedGroup[]): Uint8Array {
  checkEncodeLength('named_group_list', 2 * groups.length, 2, 0xfffe);
  return new Writer().u16List(2, groups).finish();
}

/**
 * Decodes the supported_groups extension_data, keeping unknown and GREASE groups in order.
 *
 * @throws TlsError DECODE_ERROR for an empty or odd-length list, or trailing bytes
 */
export function decodeSupportedGroups(data: Uint8Array): NamedGroup[] {
  const r = new Reader(data);
  const groups = r.u16List(2, 'named_group_list', 2);
  r.end('supported_groups extension');
  return groups;
}

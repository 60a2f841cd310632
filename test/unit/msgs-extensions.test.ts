import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/codec/reader.ts';
import { ExtensionType, NamedGroup, nameOf } from '../../src/msgs/enums.ts';
import {
  decodeAlpn,
  decodeAlpnSelected,
  encodeAlpn,
  encodeAlpnSelected,
} from '../../src/msgs/extensions/alpn.ts';
import {
  decodeCertificateAuthorities,
  encodeCertificateAuthorities,
} from '../../src/msgs/extensions/certificate-authorities.ts';
import {
  decodeCompressCertificate,
  encodeCompressCertificate,
} from '../../src/msgs/extensions/compress-certificate.ts';
import { decodeCookie, encodeCookie } from '../../src/msgs/extensions/cookie.ts';
import {
  decodeEarlyDataTicket,
  encodeEarlyDataTicket,
} from '../../src/msgs/extensions/early-data.ts';
import {
  decodeEcPointFormats,
  EC_POINT_FORMAT_UNCOMPRESSED,
  encodeEcPointFormats,
} from '../../src/msgs/extensions/ec-point-formats.ts';
import { decodeEmptyExtension, EMPTY_EXTENSION_DATA } from '../../src/msgs/extensions/empty.ts';
import {
  decodeExtensions,
  type Extension,
  encodeExtensions,
  extensionTypes,
  findExtension,
  hasExtension,
  readExtensions,
} from '../../src/msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
} from '../../src/msgs/extensions/key-share.ts';
import {
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
  encodeOfferedPsks,
  encodePreSharedKeyServerHello,
  pskBindersLength,
} from '../../src/msgs/extensions/pre-shared-key.ts';
import {
  decodePskKeyExchangeModes,
  encodePskKeyExchangeModes,
} from '../../src/msgs/extensions/psk-key-exchange-modes.ts';
import {
  decodeRecordSizeLimit,
  encodeRecordSizeLimit,
} from '../../src/msgs/extensions/record-size-limit.ts';
import {
  decodeRenegotiationInfo,
  encodeRenegotiationInfo,
} from '../../src/msgs/extensions/renegotiation-info.ts';
import { decodeServerName, encodeServerName } from '../../src/msgs/extensions/server-name.ts';
import {
  decodeSignatureSchemes,
  encodeSignatureSchemes,
} from '../../src/msgs/extensions/signature-algorithms.ts';
import {
  decodeSupportedGroups,
  encodeSupportedGroups,
} from '../../src/msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
} from '../../src/msgs/extensions/supported-versions.ts';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { expectTlsError, seq } from './msgs-helpers.ts';

const h = fromHex;

describe('extension list (RFC 8446 §4.2)', () => {
  const list: Extension[] = [
    { type: ExtensionType.server_name, data: h('0001') },
    { type: 0x0a0a, data: new Uint8Array(0) },
    { type: 0xfafa, data: h('00') },
    { type: 0x1234, data: seq(300) },
  ];

  it('round-trips in wire order, keeping GREASE and unknown types', () => {
    const block = encodeExtensions(list);
    // 321-byte block; server_name, length 2, data 0001.
    expect(toHex(block.subarray(0, 8))).toBe('013f000000020001');
    const back = decodeExtensions(block);
    expect(back).toEqual(list);
    expect(extensionTypes(back)).toEqual([0, 0x0a0a, 0xfafa, 0x1234]);
    expect(encodeExtensions(back)).toEqual(block);
  });

  it('prints GREASE and unknown types in hex', () => {
    expect(nameOf(ExtensionType, 0x0a0a)).toBe('0x0a0a');
    expect(nameOf(ExtensionType, 0xfafa)).toBe('0xfafa');
    expect(nameOf(ExtensionType, ExtensionType.key_share)).toBe('key_share');
  });

  it('finds extensions by type', () => {
    expect(findExtension(list, 0xfafa)).toEqual(h('00'));
    expect(findExtension(list, ExtensionType.key_share)).toBeUndefined();
    expect(hasExtension(list, 0x0a0a)).toBe(true);
    expect(hasExtension(list, 0x1a1a)).toBe(false);
  });

  it('rejects two extensions of the same type with illegal_parameter', () => {
    const err = expectTlsError(
      () => decodeExtensions(h('000a' + '002b00020304' + '002b0000')),
      'ILLEGAL_PARAMETER',
    );
    expect(err.message).toContain('supported_versions');
    // GREASE types are not exempt.
    expectTlsError(
      () => decodeExtensions(h('0008' + '0a0a0000' + '0a0a0000')),
      'ILLEGAL_PARAMETER',
    );
  });

  it('accepts an empty block and enforces a minimum when given', () => {
    expect(decodeExtensions(h('0000'))).toEqual([]);
    expectTlsError(() => readExtensions(new Reader(h('0000')), 'x', 2), 'DECODE_ERROR');
  });

  it('rejects truncated and inconsistent blocks', () => {
    const block = encodeExtensions(list);
    for (let n = 0; n < block.length; n++) {
      expectTlsError(() => decodeExtensions(block.subarray(0, n)), 'DECODE_ERROR');
    }
    expectTlsError(() => decodeExtensions(concat(block, h('00'))), 'DECODE_ERROR');
    // A block length that cuts an extension header in half.
    expectTlsError(() => decodeExtensions(h('0003' + '000000')), 'DECODE_ERROR');
    // An extension_data length running past the block.
    expectTlsError(() => decodeExtensions(h('0004' + '00000001' + '00')), 'DECODE_ERROR');
  });
});

describe('server_name (RFC 6066 §3)', () => {
  it('round-trips one host_name', () => {
    const data = encodeServerName('example.com');
    expect(toHex(data)).toBe('000e00000b' + toHex(utf8('example.com')));
    expect(decodeServerName(data)).toBe('example.com');
  });

  it('rejects an empty list, an empty name, other name types and non-ASCII', () => {
    expectTlsError(() => decodeServerName(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeServerName(h('0003000000')), 'DECODE_ERROR');
    expectTlsError(() => decodeServerName(h('000401000161')), 'DECODE_ERROR');
    expectTlsError(() => decodeServerName(h('0004000001c3')), 'DECODE_ERROR');
    expectTlsError(() => decodeServerName(h('000400000120')), 'DECODE_ERROR');
    expectTlsError(() => decodeServerName(concat(encodeServerName('a'), h('00'))), 'DECODE_ERROR');
  });

  it('rejects two host names', () => {
    expectTlsError(
      () => decodeServerName(h('0008' + '0000016' + '1' + '00000162')),
      'ILLEGAL_PARAMETER',
    );
  });

  it('refuses to encode invalid names', () => {
    expectTlsError(() => encodeServerName(''), 'INTERNAL_ERROR');
    expectTlsError(() => encodeServerName('bücher.example'), 'INTERNAL_ERROR');
    expectTlsError(() => encodeServerName('a b'), 'INTERNAL_ERROR');
  });

  it('the server reply is empty', () => {
    expect(() =>
      decodeEmptyExtension(ExtensionType.server_name, EMPTY_EXTENSION_DATA),
    ).not.toThrow();
    expectTlsError(() => decodeEmptyExtension(ExtensionType.server_name, h('00')), 'DECODE_ERROR');
  });
});

describe('supported_groups (RFC 8446 §4.2.7)', () => {
  it('round-trips, GREASE included', () => {
    const groups = [0x3a3a, NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1];
    const data = encodeSupportedGroups(groups);
    expect(toHex(data)).toBe('00083a3a11ec001d0017');
    expect(decodeSupportedGroups(data)).toEqual(groups);
  });

  it('enforces <2..2^16-1> and even length', () => {
    expectTlsError(() => decodeSupportedGroups(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeSupportedGroups(h('0003001d00')), 'DECODE_ERROR');
    expectTlsError(() => decodeSupportedGroups(h('0002001d00')), 'DECODE_ERROR');
    expectTlsError(() => encodeSupportedGroups([]), 'INTERNAL_ERROR');
  });
});

describe('signature_algorithms / signature_algorithms_cert (RFC 8446 §4.2.3)', () => {
  it('round-trips', () => {
    const data = encodeSignatureSchemes([0x0804, 0x0403, 0x0807, 0x8a8a]);
    expect(toHex(data)).toBe('0008080404030807' + '8a8a');
    expect(decodeSignatureSchemes(data)).toEqual([0x0804, 0x0403, 0x0807, 0x8a8a]);
  });

  it('enforces <2..2^16-2>', () => {
    expectTlsError(() => decodeSignatureSchemes(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeSignatureSchemes(h('000108')), 'DECODE_ERROR');
    const tooLong = concat(h('ffff'), new Uint8Array(0xffff));
    expectTlsError(() => decodeSignatureSchemes(tooLong), 'DECODE_ERROR');
    expectTlsError(
      () => encodeSignatureSchemes(new Array(0x7fff + 1).fill(0x0804)),
      'INTERNAL_ERROR',
    );
  });
});

describe('application_layer_protocol_negotiation (RFC 7301 §3.1)', () => {
  it('round-trips the client list and the server selection', () => {
    const data = encodeAlpn([utf8('h2'), utf8('http/1.1')]);
    expect(toHex(data)).toBe('000c02683208687474702f312e31');
    expect(decodeAlpn(data)).toEqual([utf8('h2'), utf8('http/1.1')]);
    const sel = encodeAlpnSelected(utf8('h2'));
    expect(decodeAlpnSelected(sel)).toEqual(utf8('h2'));
  });

  it('rejects empty names and empty lists with decode_error', () => {
    expectTlsError(() => decodeAlpn(h('000100')), 'DECODE_ERROR');
    expectTlsError(() => decodeAlpn(h('0004' + '026832' + '00')), 'DECODE_ERROR');
    expectTlsError(() => decodeAlpn(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeAlpn(h('0003' + '056832')), 'DECODE_ERROR');
    expectTlsError(() => encodeAlpn([new Uint8Array(0)]), 'INTERNAL_ERROR');
    expectTlsError(() => encodeAlpn([new Uint8Array(256)]), 'INTERNAL_ERROR');
    expectTlsError(() => encodeAlpn([]), 'INTERNAL_ERROR');
  });

  it('requires exactly one protocol in the server reply', () => {
    const two = encodeAlpn([utf8('h2'), utf8('http/1.1')]);
    expectTlsError(() => decodeAlpnSelected(two), 'DECODE_ERROR');
  });
});

describe('supported_versions (RFC 8446 §4.2.1)', () => {
  it('round-trips the client list and the server selection', () => {
    const data = encodeSupportedVersionsClient([0x7a7a, 0x0304, 0x0303]);
    expect(toHex(data)).toBe('067a7a03040303');
    expect(decodeSupportedVersionsClient(data)).toEqual([0x7a7a, 0x0304, 0x0303]);
    expect(toHex(encodeSupportedVersionsServer(0x0304))).toBe('0304');
    expect(decodeSupportedVersionsServer(h('0304'))).toBe(0x0304);
  });

  it('enforces <2..254> and exact sizes', () => {
    expectTlsError(() => decodeSupportedVersionsClient(h('00')), 'DECODE_ERROR');
    expectTlsError(() => decodeSupportedVersionsClient(h('0303')), 'DECODE_ERROR');
    const max = concat(h('fe'), new Uint8Array(254));
    expect(decodeSupportedVersionsClient(max)).toHaveLength(127);
    expectTlsError(
      () => decodeSupportedVersionsClient(concat(h('ff'), new Uint8Array(255))),
      'DECODE_ERROR',
    );
    expectTlsError(
      () => encodeSupportedVersionsClient(new Array(128).fill(0x0304)),
      'INTERNAL_ERROR',
    );
    expectTlsError(() => decodeSupportedVersionsServer(h('03')), 'DECODE_ERROR');
    expectTlsError(() => decodeSupportedVersionsServer(h('030400')), 'DECODE_ERROR');
  });
});

describe('key_share (RFC 8446 §4.2.8)', () => {
  const x = { group: NamedGroup.x25519, keyExchange: seq(32) };
  const p = { group: NamedGroup.secp256r1, keyExchange: seq(65, 4) };

  it('round-trips the ClientHello list, including an empty one and GREASE', () => {
    const grease = { group: 0xdada, keyExchange: h('00') };
    const data = encodeKeyShareClientHello([grease, x, p]);
    expect(decodeKeyShareClientHello(data)).toEqual([grease, x, p]);
    expect(toHex(encodeKeyShareClientHello([]))).toBe('0000');
    expect(decodeKeyShareClientHello(h('0000'))).toEqual([]);
  });

  it('rejects two shares for one group with illegal_parameter', () => {
    const data = encodeKeyShareClientHello([x, p, { ...x, keyExchange: seq(32, 9) }]);
    const err = expectTlsError(() => decodeKeyShareClientHello(data), 'ILLEGAL_PARAMETER');
    expect(err.message).toContain('x25519');
  });

  it('rejects an empty key_exchange', () => {
    expectTlsError(() => decodeKeyShareClientHello(h('0004001d0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeKeyShareServerHello(h('001d0000')), 'DECODE_ERROR');
    expectTlsError(
      () => encodeKeyShareServerHello({ group: 29, keyExchange: h('') }),
      'INTERNAL_ERROR',
    );
  });

  it('round-trips the ServerHello entry and the HelloRetryRequest group', () => {
    expect(decodeKeyShareServerHello(encodeKeyShareServerHello(x))).toEqual(x);
    expectTlsError(
      () => decodeKeyShareServerHello(concat(encodeKeyShareServerHello(x), h('00'))),
      'DECODE_ERROR',
    );
    expect(toHex(encodeKeyShareHelloRetryRequest(NamedGroup.secp384r1))).toBe('0018');
    expect(decodeKeyShareHelloRetryRequest(h('11ec'))).toBe(NamedGroup.X25519MLKEM768);
    expectTlsError(() => decodeKeyShareHelloRetryRequest(h('0018001d')), 'DECODE_ERROR');
  });
});

describe('cookie (RFC 8446 §4.2.2)', () => {
  it('round-trips and enforces <1..2^16-1>', () => {
    const c = seq(100);
    expect(decodeCookie(encodeCookie(c))).toEqual(c);
    expectTlsError(() => decodeCookie(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeCookie(h('000201')), 'DECODE_ERROR');
    expectTlsError(() => encodeCookie(new Uint8Array(0)), 'INTERNAL_ERROR');
  });
});

describe('psk_key_exchange_modes (RFC 8446 §4.2.9)', () => {
  it('round-trips, keeping unknown modes, and enforces <1..255>', () => {
    expect(toHex(encodePskKeyExchangeModes([1, 0]))).toBe('020100');
    expect(decodePskKeyExchangeModes(h('03010007'))).toEqual([1, 0, 7]);
    expectTlsError(() => decodePskKeyExchangeModes(h('00')), 'DECODE_ERROR');
    expectTlsError(() => decodePskKeyExchangeModes(h('0201')), 'DECODE_ERROR');
    expectTlsError(() => encodePskKeyExchangeModes([]), 'INTERNAL_ERROR');
  });
});

describe('pre_shared_key (RFC 8446 §4.2.11)', () => {
  const offered = {
    identities: [
      { identity: seq(50), obfuscatedTicketAge: 0xfedcba98 },
      { identity: utf8('ext'), obfuscatedTicketAge: 0 },
    ],
    binders: [seq(32, 1), seq(48, 2)],
  };

  it('round-trips OfferedPsks and the selected identity', () => {
    const data = encodeOfferedPsks(offered);
    expect(decodeOfferedPsks(data)).toEqual(offered);
    // The binders vector is the tail of the extension: 2 + (1+32) + (1+48) bytes.
    expect(pskBindersLength([32, 48])).toBe(84);
    expect(toHex(data.subarray(data.length - 84, data.length - 84 + 3))).toBe('005220');
    expect(toHex(encodePreSharedKeyServerHello(1))).toBe('0001');
    expect(decodePreSharedKeyServerHello(h('0000'))).toBe(0);
    expectTlsError(() => decodePreSharedKeyServerHello(h('000000')), 'DECODE_ERROR');
  });

  it('enforces identity and binder bounds', () => {
    // identities<7..>: one empty identity is 6 bytes.
    expectTlsError(
      () => decodeOfferedPsks(h('0006' + '0000' + '00000000' + '0021' + '20' + '00'.repeat(32))),
      'DECODE_ERROR',
    );
    // A 31-byte binder is below PskBinderEntry<32..255>.
    expectTlsError(
      () => decodeOfferedPsks(h('0007' + '000161' + '00000000' + '0020' + '1f' + '00'.repeat(31))),
      'DECODE_ERROR',
    );
    expectTlsError(
      () => encodeOfferedPsks({ ...offered, binders: [seq(31), seq(32)] }),
      'INTERNAL_ERROR',
    );
  });

  it('rejects a binder count that differs from the identity count', () => {
    const mismatch = concat(
      h('0007' + '000161' + '00000000'),
      h('0042' + '20' + '00'.repeat(32) + '20' + '00'.repeat(32)),
    );
    expectTlsError(() => decodeOfferedPsks(mismatch), 'ILLEGAL_PARAMETER');
    expectTlsError(() => encodeOfferedPsks({ ...offered, binders: [seq(32)] }), 'INTERNAL_ERROR');
  });
});

describe('early_data (RFC 8446 §4.2.10)', () => {
  it('round-trips max_early_data_size and checks the empty forms', () => {
    expect(toHex(encodeEarlyDataTicket(0x4000))).toBe('00004000');
    expect(decodeEarlyDataTicket(h('ffffffff'))).toBe(0xffffffff);
    expectTlsError(() => decodeEarlyDataTicket(h('000040')), 'DECODE_ERROR');
    expect(() => decodeEmptyExtension(ExtensionType.early_data, h(''))).not.toThrow();
    expectTlsError(
      () => decodeEmptyExtension(ExtensionType.early_data, h('00000000')),
      'DECODE_ERROR',
    );
  });
});

describe('record_size_limit (RFC 8449 §4)', () => {
  it('round-trips and rejects values below 64 with illegal_parameter', () => {
    expect(toHex(encodeRecordSizeLimit(16385))).toBe('4001');
    expect(decodeRecordSizeLimit(h('0040'))).toBe(64);
    expect(decodeRecordSizeLimit(h('ffff'))).toBe(0xffff);
    expectTlsError(() => decodeRecordSizeLimit(h('003f')), 'ILLEGAL_PARAMETER');
    expectTlsError(() => decodeRecordSizeLimit(h('40')), 'DECODE_ERROR');
    expectTlsError(() => encodeRecordSizeLimit(63), 'INTERNAL_ERROR');
  });
});

describe('compress_certificate (RFC 8879 §3)', () => {
  it('round-trips and enforces <2..2^8-2>', () => {
    expect(toHex(encodeCompressCertificate([2, 1, 3]))).toBe('06000200010003');
    expect(decodeCompressCertificate(h('0400020a0a'))).toEqual([2, 0x0a0a]);
    expectTlsError(() => decodeCompressCertificate(h('00')), 'DECODE_ERROR');
    expectTlsError(() => decodeCompressCertificate(h('030002ff')), 'DECODE_ERROR');
    expectTlsError(
      () => decodeCompressCertificate(concat(h('ff'), new Uint8Array(255))),
      'DECODE_ERROR',
    );
    expectTlsError(() => encodeCompressCertificate([]), 'INTERNAL_ERROR');
  });
});

describe('TLS 1.2 extensions in a ClientHello', () => {
  it('ec_point_formats (RFC 8422 §5.1.2)', () => {
    expect(toHex(encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]))).toBe('0100');
    expect(decodeEcPointFormats(h('03000102'))).toEqual([0, 1, 2]);
    expectTlsError(() => decodeEcPointFormats(h('00')), 'DECODE_ERROR');
    expectTlsError(() => decodeEcPointFormats(h('0100ff')), 'DECODE_ERROR');
  });

  it('renegotiation_info (RFC 5746 §3.2)', () => {
    expect(toHex(encodeRenegotiationInfo(new Uint8Array(0)))).toBe('00');
    expect(decodeRenegotiationInfo(h('0c' + '11'.repeat(12)))).toEqual(h('11'.repeat(12)));
    expectTlsError(() => decodeRenegotiationInfo(h('')), 'DECODE_ERROR');
    expectTlsError(() => decodeRenegotiationInfo(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => encodeRenegotiationInfo(new Uint8Array(256)), 'INTERNAL_ERROR');
  });

  it('extended_master_secret is empty (RFC 7627 §5.1)', () => {
    expect(() => decodeEmptyExtension(ExtensionType.extended_master_secret, h(''))).not.toThrow();
    expectTlsError(
      () => decodeEmptyExtension(ExtensionType.extended_master_secret, h('00')),
      'DECODE_ERROR',
    );
  });
});

describe('certificate_authorities (RFC 8446 §4.2.4)', () => {
  it('round-trips DER names and enforces bounds', () => {
    const names = [h('3000'), seq(70)];
    const data = encodeCertificateAuthorities(names);
    expect(decodeCertificateAuthorities(data)).toEqual(names);
    expectTlsError(() => decodeCertificateAuthorities(h('0000')), 'DECODE_ERROR');
    expectTlsError(() => decodeCertificateAuthorities(h('00020000')), 'DECODE_ERROR');
    expectTlsError(() => decodeCertificateAuthorities(h('0004000000')), 'DECODE_ERROR');
    expectTlsError(() => encodeCertificateAuthorities([]), 'INTERNAL_ERROR');
  });
});

describe('opaque extensions round-trip through the list unchanged', () => {
  it('session_ticket, encrypted_client_hello, status_request, padding', () => {
    const list: Extension[] = [
      { type: ExtensionType.session_ticket, data: seq(120) },
      { type: ExtensionType.encrypted_client_hello, data: seq(200, 7) },
      { type: ExtensionType.status_request, data: h('0100000000') },
      { type: ExtensionType.padding, data: new Uint8Array(17) },
    ];
    expect(decodeExtensions(encodeExtensions(list))).toEqual(list);
  });
});

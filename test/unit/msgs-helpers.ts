import { expect } from 'vitest';
import { type ErrorCode, TlsError } from '../../src/error.ts';
import type { ClientHello } from '../../src/msgs/client-hello.ts';
import {
  CipherSuite,
  ExtensionType,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SignatureScheme,
} from '../../src/msgs/enums.ts';
import { encodeAlpn } from '../../src/msgs/extensions/alpn.ts';
import type { Extension } from '../../src/msgs/extensions/extension.ts';
import { encodeKeyShareClientHello } from '../../src/msgs/extensions/key-share.ts';
import { encodeOfferedPsks } from '../../src/msgs/extensions/pre-shared-key.ts';
import { encodePskKeyExchangeModes } from '../../src/msgs/extensions/psk-key-exchange-modes.ts';
import { encodeServerName } from '../../src/msgs/extensions/server-name.ts';
import { encodeSignatureSchemes } from '../../src/msgs/extensions/signature-algorithms.ts';
import { encodeSupportedGroups } from '../../src/msgs/extensions/supported-groups.ts';
import { encodeSupportedVersionsClient } from '../../src/msgs/extensions/supported-versions.ts';
import { utf8 } from '../../src/util/bytes.ts';

/** Runs `fn` and asserts it throws a TlsError with `code`; returns the error. */
export function expectTlsError(fn: () => unknown, code: ErrorCode): TlsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected TlsError ${code}`).toBeInstanceOf(TlsError);
  const err = caught as TlsError;
  expect(err.code, err.message).toBe(code);
  expect(err.message.startsWith('tls: ')).toBe(true);
  return err;
}

/** Bytes 0, 1, 2, ... of length n (distinct, so misplaced fields show). */
export function seq(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

/** A TLS 1.3 ClientHello with the usual extensions, GREASE included, optionally with a PSK. */
export function sampleClientHello(withPsk = false): ClientHello {
  const extensions: Extension[] = [
    { type: 0x0a0a, data: new Uint8Array(0) },
    { type: ExtensionType.server_name, data: encodeServerName('example.com') },
    {
      type: ExtensionType.supported_groups,
      data: encodeSupportedGroups([0x2a2a, NamedGroup.x25519]),
    },
    {
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureSchemes([
        SignatureScheme.ecdsa_secp256r1_sha256,
        SignatureScheme.ed25519,
      ]),
    },
    {
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn([utf8('h2'), utf8('http/1.1')]),
    },
    {
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsClient([
        0x3a3a,
        ProtocolVersion.TLSv1_3,
        ProtocolVersion.TLSv1_2,
      ]),
    },
    {
      type: ExtensionType.key_share,
      data: encodeKeyShareClientHello([
        { group: 0x2a2a, keyExchange: Uint8Array.of(0) },
        { group: NamedGroup.x25519, keyExchange: seq(32, 0x40) },
      ]),
    },
    {
      type: ExtensionType.psk_key_exchange_modes,
      data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke]),
    },
    { type: 0x1a1a, data: Uint8Array.of(0) },
  ];
  if (withPsk) {
    extensions.push({
      type: ExtensionType.pre_shared_key,
      data: encodeOfferedPsks({
        identities: [
          { identity: seq(40, 1), obfuscatedTicketAge: 0x01020304 },
          { identity: utf8('external'), obfuscatedTicketAge: 0 },
        ],
        binders: [new Uint8Array(32), new Uint8Array(48)],
      }),
    });
  }
  return {
    legacyVersion: ProtocolVersion.TLSv1_2,
    random: seq(32, 0x80),
    legacySessionId: seq(32, 0xc0),
    cipherSuites: [
      0x4a4a,
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ],
    legacyCompressionMethods: Uint8Array.of(0),
    extensions,
  };
}

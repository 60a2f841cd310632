/**
 * What a ClientHello offers, decoded with the webtls message codec and named for people: suites,
 * extensions in wire order, groups, key shares, versions, signature schemes, ALPN, SNI, and
 * where GREASE values (RFC 8701) appear.
 */
import { decodeClientHello } from '../src/msgs/client-hello.ts';
import {
  CertificateCompressionAlgorithm,
  CipherSuite,
  ExtensionType,
  groupName,
  isGrease,
  nameOf,
  PskKeyExchangeMode,
  SignatureScheme,
  versionName,
} from '../src/msgs/enums.ts';
import { decodeAlpn } from '../src/msgs/extensions/alpn.ts';
import { decodeCompressCertificate } from '../src/msgs/extensions/compress-certificate.ts';
import { type Extension, findExtension } from '../src/msgs/extensions/extension.ts';
import { decodeKeyShareClientHello } from '../src/msgs/extensions/key-share.ts';
import { decodePskKeyExchangeModes } from '../src/msgs/extensions/psk-key-exchange-modes.ts';
import { decodeServerName } from '../src/msgs/extensions/server-name.ts';
import { decodeSignatureSchemes } from '../src/msgs/extensions/signature-algorithms.ts';
import { decodeSupportedGroups } from '../src/msgs/extensions/supported-groups.ts';
import { decodeSupportedVersionsClient } from '../src/msgs/extensions/supported-versions.ts';
import { fromUtf8 } from '../src/util/bytes.ts';

/**
 * Extension code points Chromium sends that webtls's enum does not name, for display only:
 * application_settings (ALPS) under its old and new code points, and trust_anchors
 * (draft-ietf-tls-trust-anchor-ids, a provisional code point). Others print in hex.
 */
const EXTRA_EXTENSION_NAMES: Record<string, number> = {
  application_settings_old: 0x4469,
  application_settings: 0x44cd,
  trust_anchors: 0xca34,
};

/** Signature schemes webtls's enum does not name: ML-DSA (draft-ietf-tls-mldsa). */
const EXTRA_SCHEME_NAMES: Record<string, number> = {
  mldsa44: 0x0904,
  mldsa65: 0x0905,
  mldsa87: 0x0906,
};

/** One key share: its group and the length of its key_exchange. */
export interface KeyShareFact {
  group: string;
  length: number;
}

/** The decoded offer. Names are webtls's; GREASE values print as `GREASE(0x?a?a)`. */
export interface ClientHelloFacts {
  /** Body length in bytes (without the 4-byte handshake header). */
  length: number;
  legacySessionIdLength: number;
  cipherSuites: string[];
  /** Extension names in wire order. */
  extensions: string[];
  supportedGroups: string[];
  keyShares: KeyShareFact[];
  supportedVersions: string[];
  signatureAlgorithms: string[];
  alpn: string[];
  serverName?: string;
  certCompression: string[];
  pskModes: string[];
  /** Which lists carry a GREASE value. */
  grease: {
    cipherSuites: boolean;
    extensions: boolean;
    groups: boolean;
    keyShares: boolean;
    versions: boolean;
    signatureAlgorithms: boolean;
  };
}

/** Decodes a ClientHello body into {@link ClientHelloFacts}; throws the codec's TlsError. */
export function clientHelloFacts(body: Uint8Array): ClientHelloFacts {
  const ch = decodeClientHello(body);
  const ext = (type: number) => findExtension(ch.extensions, type);
  const decoded = <T>(type: number, decode: (data: Uint8Array) => T): T | undefined => {
    const data = ext(type);
    return data === undefined ? undefined : decode(data);
  };

  const groups = decoded(ExtensionType.supported_groups, decodeSupportedGroups) ?? [];
  const shares = decoded(ExtensionType.key_share, decodeKeyShareClientHello) ?? [];
  const versions = decoded(ExtensionType.supported_versions, decodeSupportedVersionsClient) ?? [];
  const schemes = decoded(ExtensionType.signature_algorithms, decodeSignatureSchemes) ?? [];
  const alpn = decoded(ExtensionType.application_layer_protocol_negotiation, decodeAlpn) ?? [];
  const compression = decoded(ExtensionType.compress_certificate, decodeCompressCertificate);
  const pskModes = decoded(ExtensionType.psk_key_exchange_modes, decodePskKeyExchangeModes);

  return {
    length: body.length,
    legacySessionIdLength: ch.legacySessionId.length,
    cipherSuites: ch.cipherSuites.map((s) => label(s, (v) => nameOf(CipherSuite, v))),
    extensions: ch.extensions.map(extensionName),
    supportedGroups: groups.map((g) => label(g, groupName)),
    keyShares: shares.map((s) => ({
      group: label(s.group, groupName),
      length: s.keyExchange.length,
    })),
    supportedVersions: versions.map((v) => label(v, versionName)),
    signatureAlgorithms: schemes.map((s) => label(s, schemeName)),
    alpn: alpn.map((p) => fromUtf8(p)),
    serverName: decoded(ExtensionType.server_name, decodeServerName),
    certCompression: (compression ?? []).map((a) => nameOf(CertificateCompressionAlgorithm, a)),
    pskModes: (pskModes ?? []).map((m) => nameOf(PskKeyExchangeMode, m, 2)),
    grease: {
      cipherSuites: ch.cipherSuites.some(isGrease),
      extensions: ch.extensions.some((e) => isGrease(e.type)),
      groups: groups.some(isGrease),
      keyShares: shares.some((s) => isGrease(s.group)),
      versions: versions.some(isGrease),
      signatureAlgorithms: schemes.some(isGrease),
    },
  };
}

/** The facts as `name: value` lines, for logs and docs/interop.md. */
export function formatClientHelloFacts(facts: ClientHelloFacts): string[] {
  return [
    `length: ${facts.length} bytes, legacy_session_id: ${facts.legacySessionIdLength} bytes`,
    `cipher_suites: ${facts.cipherSuites.join(', ')}`,
    `extensions: ${facts.extensions.join(', ')}`,
    `supported_groups: ${facts.supportedGroups.join(', ')}`,
    `key_share: ${facts.keyShares.map((s) => `${s.group} (${s.length} bytes)`).join(', ')}`,
    `supported_versions: ${facts.supportedVersions.join(', ')}`,
    `signature_algorithms: ${facts.signatureAlgorithms.join(', ')}`,
    `alpn: ${facts.alpn.join(', ') || 'none'}`,
    `server_name: ${facts.serverName ?? 'none'}`,
    `compress_certificate: ${facts.certCompression.join(', ') || 'none'}`,
    `psk_key_exchange_modes: ${facts.pskModes.join(', ') || 'none'}`,
  ];
}

function label(value: number, name: (value: number) => string): string {
  return isGrease(value) ? `GREASE(0x${value.toString(16).padStart(4, '0')})` : name(value);
}

function schemeName(scheme: number): string {
  const known = nameOf(SignatureScheme, scheme);
  return known.startsWith('0x') ? nameOf(EXTRA_SCHEME_NAMES, scheme) : known;
}

function extensionName(extension: Extension): string {
  return label(extension.type, (type) => {
    const known = nameOf(ExtensionType, type);
    if (!known.startsWith('0x')) return known;
    return nameOf(EXTRA_EXTENSION_NAMES, type);
  });
}

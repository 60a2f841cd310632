/**
 * Open wire enums. Each is an `as const` object with a same-named numeric type: the values are
 * plain numbers, so unknown and GREASE code points decode, round-trip and print (in hex) rather
 * than failing to parse.
 */

/** Looks up the name of a code point, printing unknown values as hex (`0x1a1a`). */
export function nameOf(table: Readonly<Record<string, number>>, value: number, width = 4): string {
  for (const key in table) if (table[key] === value) return key;
  return `0x${value.toString(16).padStart(width, '0')}`;
}

/** RFC 8701: GREASE values are 0x?a?a with both bytes equal. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** RFC 8446 §5.1 ContentType. */
export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentType = number;

/** RFC 8446 §4 HandshakeType. */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
  key_update: 24,
  compressed_certificate: 25,
  message_hash: 254,
} as const;
export type HandshakeType = number;

/** RFC 8446 §4.2 ExtensionType, plus the code points later features use. */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
  ech_outer_extensions: 0xfd00,
  encrypted_client_hello: 0xfe0d,
} as const;
export type ExtensionType = number;

/** RFC 8446 §4.2.7 NamedGroup, and draft-ietf-tls-ecdhe-mlkem. */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;
export type NamedGroup = number;

/** RFC 8446 §4.2.3 SignatureScheme. */
export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;
export type SignatureScheme = number;

/** Cipher suites: TLS 1.3 (RFC 8446 §B.4) and the TLS 1.2 ECDHE AEAD suites. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_FALLBACK_SCSV: 0x5600,
} as const;
export type CipherSuite = number;

/** RFC 8446 §6 AlertLevel. */
export const AlertLevel = { warning: 1, fatal: 2 } as const;
export type AlertLevel = number;

/** RFC 8446 §6 AlertDescription. */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
  ech_required: 121,
} as const;
export type AlertDescription = number;

/** ProtocolVersion values on the wire. */
export const ProtocolVersion = {
  TLSv1_0: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
} as const;
export type ProtocolVersion = number;

/** RFC 8446 §4.2.9 PskKeyExchangeMode. */
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;
export type PskKeyExchangeMode = number;

/** RFC 8446 §4.6.3 KeyUpdateRequest. */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;
export type KeyUpdateRequest = number;

/** RFC 8879 §3 CertificateCompressionAlgorithm. */
export const CertificateCompressionAlgorithm = { zlib: 1, brotli: 2, zstd: 3 } as const;
export type CertificateCompressionAlgorithm = number;

/** RFC 6066 §3 NameType. */
export const ServerNameType = { host_name: 0 } as const;

/** The `Protocol:` names printed in summaries and used in configs. */
export function versionName(version: number): string {
  switch (version) {
    case ProtocolVersion.TLSv1_3:
      return 'TLSv1.3';
    case ProtocolVersion.TLSv1_2:
      return 'TLSv1.2';
    case ProtocolVersion.TLSv1_1:
      return 'TLSv1.1';
    case ProtocolVersion.TLSv1_0:
      return 'TLSv1';
    default:
      return nameOf(ProtocolVersion, version);
  }
}

/** Display names for groups, as `-groups` and summaries spell them (X25519, P-256, ...). */
const GROUP_DISPLAY: Record<number, string> = {
  [NamedGroup.x25519]: 'X25519',
  [NamedGroup.x448]: 'X448',
  [NamedGroup.secp256r1]: 'P-256',
  [NamedGroup.secp384r1]: 'P-384',
  [NamedGroup.secp521r1]: 'P-521',
  [NamedGroup.X25519MLKEM768]: 'X25519MLKEM768',
  [NamedGroup.SecP256r1MLKEM768]: 'SecP256r1MLKEM768',
  [NamedGroup.SecP384r1MLKEM1024]: 'SecP384r1MLKEM1024',
};

export function groupName(group: number): string {
  return GROUP_DISPLAY[group] ?? nameOf(NamedGroup, group);
}

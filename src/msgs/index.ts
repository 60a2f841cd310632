/**
 * The handshake message and extension codec: framing and reassembly, every TLS 1.3 handshake
 * message, the typed extension codecs, and the RFC 8446 §4.2 placement checks. Decoders are
 * strict (trailing bytes rejected) and throw only `TlsError`.
 */

export * from './certificate.ts';
export * from './certificate-request.ts';
export * from './certificate-verify.ts';
export * from './client-hello.ts';
export * from './compressed-certificate.ts';
export * from './encrypted-extensions.ts';
export * from './end-of-early-data.ts';
export * from './enums.ts';
export * from './extensions/allowed.ts';
export * from './extensions/alpn.ts';
export * from './extensions/certificate-authorities.ts';
export * from './extensions/compress-certificate.ts';
export * from './extensions/cookie.ts';
export * from './extensions/early-data.ts';
export * from './extensions/ec-point-formats.ts';
export * from './extensions/empty.ts';
export * from './extensions/extension.ts';
export * from './extensions/key-share.ts';
export * from './extensions/pre-shared-key.ts';
export * from './extensions/psk-key-exchange-modes.ts';
export * from './extensions/record-size-limit.ts';
export * from './extensions/renegotiation-info.ts';
export * from './extensions/server-name.ts';
export * from './extensions/signature-algorithms.ts';
export * from './extensions/supported-groups.ts';
export * from './extensions/supported-versions.ts';
export * from './finished.ts';
export * from './handshake.ts';
export * from './key-update.ts';
export * from './new-session-ticket.ts';
export * from './psk-binders.ts';
export * from './server-hello.ts';

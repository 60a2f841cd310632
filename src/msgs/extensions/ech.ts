import { Reader } from '../../codec/reader.ts';
import { Writer } from '../../codec/writer.ts';
import { decodeError, illegalParameter } from '../../error.ts';
import { ExtensionType } from '../enums.ts';

/*
 * draft-ietf-tls-esni §5:
 *
 *   enum { outer(0), inner(1) } ECHClientHelloType;
 *
 *   struct {
 *      ECHClientHelloType type;
 *      select (ECHClientHello.type) {
 *          case outer:
 *              HpkeSymmetricCipherSuite cipher_suite;
 *              uint8 config_id;
 *              opaque enc<0..2^16-1>;
 *              opaque payload<1..2^16-1>;
 *          case inner:
 *              Empty;
 *      };
 *   } ECHClientHello;
 *
 *   struct { ECHConfigList retry_configs; } ECHEncryptedExtensions;
 *   struct { opaque confirmation[8]; } ECHHelloRetryRequest;
 *
 * §5.1:
 *
 *   ExtensionType OuterExtensions<2..254>;
 */

/** ECHClientHelloType. */
export const EchClientHelloType = { outer: 0, inner: 1 } as const;

/** The outer variant of ECHClientHello. */
export interface EchOuter {
  type: 0;
  kdfId: number;
  aeadId: number;
  configId: number;
  /** The HPKE encapsulated key; empty in a second ClientHelloOuter (after HelloRetryRequest). */
  enc: Uint8Array;
  payload: Uint8Array;
}

/** Either variant. */
export type EchClientHello = EchOuter | { type: 1 };

/** The length of ECHHelloRetryRequest.confirmation and of the ServerHello.random signal. */
export const ECH_CONFIRMATION_LENGTH = 8;

/** The extension_data of the inner variant: the type byte alone. */
export const ECH_INNER_EXTENSION_DATA: Uint8Array = new Uint8Array([EchClientHelloType.inner]);

/** Encodes the outer variant. */
export function encodeEchOuter(outer: Omit<EchOuter, 'type'>): Uint8Array {
  return new Writer(outer.payload.length + outer.enc.length + 16)
    .u8(EchClientHelloType.outer)
    .u16(outer.kdfId)
    .u16(outer.aeadId)
    .u8(outer.configId)
    .vec16(outer.enc)
    .vec16(outer.payload)
    .finish();
}

/**
 * Decodes ECHClientHello.
 *
 * @throws TlsError ILLEGAL_PARAMETER for an unknown type (§7: "If ECHClientHello.type is not a
 * valid ECHClientHelloType, then the server MUST abort with an "illegal_parameter" alert");
 * DECODE_ERROR when malformed
 */
export function decodeEchClientHello(data: Uint8Array): EchClientHello {
  const r = new Reader(data);
  const type = r.u8('ECHClientHello.type');
  if (type === EchClientHelloType.inner) {
    r.end('ECHClientHello (inner)');
    return { type: 1 };
  }
  if (type !== EchClientHelloType.outer) {
    throw illegalParameter(`tls: unknown ECHClientHelloType ${type}`);
  }
  const kdfId = r.u16('HpkeSymmetricCipherSuite.kdf_id');
  const aeadId = r.u16('HpkeSymmetricCipherSuite.aead_id');
  const configId = r.u8('ECHClientHello.config_id');
  const enc = r.vec16('ECHClientHello.enc');
  const payload = r.vec16('ECHClientHello.payload', 1);
  r.end('ECHClientHello (outer)');
  return { type: 0, kdfId, aeadId, configId, enc, payload };
}

/** Encodes OuterExtensions (§5.1). */
export function encodeOuterExtensions(types: readonly number[]): Uint8Array {
  return new Writer(2 + 2 * types.length).u16List(1, types).finish();
}

/**
 * Decodes OuterExtensions.
 *
 * @throws TlsError DECODE_ERROR when malformed or outside <2..254>
 */
export function decodeOuterExtensions(data: Uint8Array): number[] {
  const r = new Reader(data);
  const types = r.u16List(1, 'OuterExtensions', 2, 254);
  r.end('ech_outer_extensions');
  return types;
}

/**
 * Decodes ECHHelloRetryRequest.
 *
 * @throws TlsError DECODE_ERROR unless it is exactly eight bytes (§6.1.4: "if it has a length
 * other than 8, the client aborts the handshake with a "decode_error" alert")
 */
export function decodeEchHrrConfirmation(data: Uint8Array): Uint8Array {
  if (data.length !== ECH_CONFIRMATION_LENGTH) {
    throw decodeError('tls: encrypted_client_hello in HelloRetryRequest is not 8 bytes');
  }
  return data;
}

/** The ExtensionType of the outer and inner ECH extensions. */
export const ECH_EXTENSION = ExtensionType.encrypted_client_hello;

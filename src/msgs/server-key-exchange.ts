import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { TlsError } from '../error.ts';
import { checkEncodeLength } from './encode-check.ts';
import type { NamedGroup, SignatureScheme } from './enums.ts';

/*
 * RFC 8422 §5.4 (ECDHE ServerKeyExchange, TLS 1.2):
 *
 *   enum { explicit_prime (1), explicit_char2 (2), named_curve (3), reserved(248..255) }
 *       ECCurveType;
 *
 *   struct {
 *       ECCurveType    curve_type;
 *       select (curve_type) {
 *           case named_curve:
 *               NamedCurve namedcurve;
 *       };
 *   } ECParameters;
 *
 *   struct {
 *       opaque point <1..2^8-1>;
 *   } ECPoint;
 *
 *   struct {
 *       ECParameters    curve_params;
 *       ECPoint         public;
 *   } ServerECDHParams;
 *
 *   select (KeyExchangeAlgorithm) {
 *       case ec_diffie_hellman:
 *           ServerECDHParams    params;
 *           Signature           signed_params;
 *   } ServerKeyExchange;
 *
 * and RFC 5246 §4.7, §7.4.1.4.1 for the signature:
 *
 *   struct {
 *       SignatureAndHashAlgorithm algorithm;
 *       opaque signature<0..2^16-1>;
 *   } DigitallySigned;
 */

/** ECCurveType named_curve (RFC 8422 §5.4); the explicit forms are deprecated. */
export const EC_CURVE_TYPE_NAMED = 3;

/** An ECDHE ServerKeyExchange. */
export interface ServerKeyExchange {
  group: NamedGroup;
  /** The server's ephemeral public key (32 bytes for X25519, an uncompressed point otherwise). */
  publicKey: Uint8Array;
  /** SignatureAndHashAlgorithm: the same two bytes as a TLS 1.3 SignatureScheme. */
  scheme: SignatureScheme;
  signature: Uint8Array;
}

/**
 * The ServerECDHParams bytes: what the signature covers after the two randoms (RFC 8422 §5.4:
 * "the hash is taken over ClientHello.random + ServerHello.random + ServerKeyExchange.params").
 *
 * @throws TlsError INTERNAL_ERROR for a public key outside 1..255 bytes
 */
export function encodeEcdhParams(group: NamedGroup, publicKey: Uint8Array): Uint8Array {
  checkEncodeLength('ECPoint.point', publicKey.length, 1, 255);
  return new Writer().u8(EC_CURVE_TYPE_NAMED).u16(group).vec8(publicKey).finish();
}

/** Encodes a ServerKeyExchange body. */
export function encodeServerKeyExchange(ske: ServerKeyExchange): Uint8Array {
  return new Writer()
    .bytes(encodeEcdhParams(ske.group, ske.publicKey))
    .u16(ske.scheme)
    .vec16(ske.signature)
    .finish();
}

/** A decoded ServerKeyExchange and the params bytes its signature covers. */
export interface DecodedServerKeyExchange extends ServerKeyExchange {
  params: Uint8Array;
}

/**
 * Decodes an ECDHE ServerKeyExchange body.
 *
 * @throws TlsError DECODE_ERROR for a truncated body, an empty point or trailing bytes
 * @throws TlsError ILLEGAL_PARAMETER for a curve type other than named_curve (RFC 8422 §5.4:
 * explicit curves are deprecated and never offered)
 */
export function decodeServerKeyExchange(body: Uint8Array): DecodedServerKeyExchange {
  const r = new Reader(body);
  const curveType = r.u8('ECParameters.curve_type');
  if (curveType !== EC_CURVE_TYPE_NAMED) {
    throw new TlsError('ILLEGAL_PARAMETER', `tls: ServerKeyExchange curve_type ${curveType}`);
  }
  const group = r.u16('ECParameters.namedcurve');
  const publicKey = r.vec8('ECPoint.point', 1);
  const params = body.subarray(0, r.position);
  const scheme = r.u16('SignatureAndHashAlgorithm');
  const signature = r.vec16('DigitallySigned.signature');
  r.end('ServerKeyExchange');
  return { group, publicKey, scheme, signature, params };
}

/**
 * Public-key validation for the NIST prime curves, independent of any WebCrypto
 * implementation (some import points without checking them).
 *
 * RFC 8446 §4.2.8.2: peers MUST validate that a share is a point on the curve; with cofactor
 * 1 (P-256, P-384, P-521) the curve equation and coordinate ranges are the whole check
 * (SEC 1 §3.2.2.1 / NIST SP 800-56A §5.6.2.3.4).
 */

import type { EcCurve } from './spki.ts';

/** p and b of y^2 = x^3 - 3x + b over GF(p) (SEC 2 §2.4.2, §2.5.1, §2.6.1). */
const PARAMS: Record<EcCurve, { p: bigint; b: bigint; size: number }> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    size: 32,
  },
  'P-384': {
    p: BigInt(
      '0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff',
    ),
    b: BigInt(
      '0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef',
    ),
    size: 48,
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    b: BigInt(
      '0x51953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1' +
        'bf073573df883d2c34f1ef451fd46b503f00',
    ),
    size: 66,
  },
};

/**
 * Whether an uncompressed SEC 1 point (0x04 || X || Y) lies on the curve with both coordinates
 * in [0, p). Compressed points are not judged here (decompression checks them); they return
 * true so the backend decides.
 */
export function isOnCurve(curve: EcCurve, point: Uint8Array): boolean {
  const { p, b, size } = PARAMS[curve];
  if (point[0] !== 0x04) return point.length === 1 + size && (point[0] === 2 || point[0] === 3);
  if (point.length !== 1 + 2 * size) return false;
  const x = toBigInt(point.subarray(1, 1 + size));
  const y = toBigInt(point.subarray(1 + size));
  if (x >= p || y >= p) return false;
  const rhs = (((x * x) % p) * x - 3n * x + b) % p;
  return (y * y - rhs) % p === 0n;
}

function toBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0');
  return BigInt(`0x${hex}`);
}

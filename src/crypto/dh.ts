/**
 * Diffie-Hellman key-exchange groups (X25519, secp256r1, secp384r1) in the KEM-shaped
 * `KeyExchangeGroup` form, over a provider-specific primitive.
 */

import { TlsError } from '../error.ts';
import { NamedGroup } from '../msgs/enums.ts';
import type { KeyExchangeGroup, KeyShare } from './provider.ts';

/** A key pair of one DH primitive. */
export interface DhKeyPair {
  /** The share to send: 32 bytes for X25519, an uncompressed point for the NIST curves. */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with a peer's share, validated as RFC 8446 §4.2.8.2 and §7.4.2 require.
   * Throws TlsError ILLEGAL_PARAMETER for a malformed share or an all-zero X25519 secret.
   */
  derive(peerShare: Uint8Array): Promise<Uint8Array>;
}

/** One DH primitive as a provider implements it. */
export interface DhAlgorithm {
  readonly group: number;
  readonly name: string;
  readonly fips: boolean;
  /** Length of a valid share in bytes. */
  readonly shareLength: number;
  /** A fresh key pair, or one from the given private key (X25519 scalar or EC scalar bytes). */
  keyPair(privateKey?: Uint8Array): Promise<DhKeyPair>;
}

/** Share lengths and ECDH secret lengths per group (RFC 8446 §4.2.8.2, §7.4). */
export const DH_PARAMS: Record<number, { shareLength: number; secretLength: number }> = {
  [NamedGroup.x25519]: { shareLength: 32, secretLength: 32 },
  [NamedGroup.secp256r1]: { shareLength: 65, secretLength: 32 },
  [NamedGroup.secp384r1]: { shareLength: 97, secretLength: 48 },
};

/**
 * Checks the shape of a peer's share before any arithmetic.
 * RFC 8446 §4.2.8.2: NIST curve shares are UncompressedPointRepresentation
 * (legacy_form = 4, then X and Y); X25519 shares are 32 bytes.
 */
export function checkShareShape(group: number, name: string, share: Uint8Array): void {
  const params = DH_PARAMS[group];
  if (!params || share.length !== params.shareLength) {
    throw illegalShare(`${name} share has length ${share.length}`);
  }
  if (group !== NamedGroup.x25519 && share[0] !== 0x04) {
    throw illegalShare(`${name} share is not an uncompressed point`);
  }
}

/** RFC 8446 §7.4.2: an all-zero X25519 shared secret means a low-order peer share. */
export function checkNotAllZero(secret: Uint8Array, name: string): Uint8Array {
  let acc = 0;
  for (let i = 0; i < secret.length; i++) acc |= secret[i];
  if (acc === 0) throw illegalShare(`${name} shared secret is all zero`);
  return secret;
}

/** The ILLEGAL_PARAMETER error for a bad key share. */
export function illegalShare(message: string, cause?: unknown): TlsError {
  return new TlsError('ILLEGAL_PARAMETER', message, { layer: 'crypto', cause });
}

/**
 * A DH group as a KeyExchangeGroup. The `...With` variants take a fixed private key; they
 * exist for reproducing recorded traces (see `withFixedKeyShares` in testing.ts).
 */
export class DhGroup implements KeyExchangeGroup {
  readonly group: number;
  readonly name: string;
  readonly fips: boolean;

  constructor(readonly dh: DhAlgorithm) {
    this.group = dh.group;
    this.name = dh.name;
    this.fips = dh.fips;
  }

  generate(): Promise<KeyShare> {
    return this.generateWith(undefined);
  }

  encapsulate(clientShare: Uint8Array): Promise<{ share: Uint8Array; secret: Uint8Array }> {
    return this.encapsulateWith(clientShare, undefined);
  }

  /** `generate()`, from the given private key when one is given. */
  async generateWith(privateKey: Uint8Array | undefined): Promise<KeyShare> {
    const pair = await this.dh.keyPair(privateKey);
    return {
      group: this.group,
      publicKey: pair.publicKey,
      complete: (peerShare) => pair.derive(peerShare),
    };
  }

  /** `encapsulate()`, from the given private key when one is given. */
  async encapsulateWith(
    clientShare: Uint8Array,
    privateKey: Uint8Array | undefined,
  ): Promise<{ share: Uint8Array; secret: Uint8Array }> {
    const share = clientShare.slice();
    checkShareShape(this.group, this.name, share);
    const pair = await this.dh.keyPair(privateKey);
    const secret = await pair.derive(share);
    return { share: pair.publicKey, secret };
  }
}

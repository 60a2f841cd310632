/**
 * AeadKey.seal and open take their inputs when called: the record layer reuses its buffers
 * as soon as a call returns (and the subtle provider relies on WebCrypto's own copy rather than
 * making one), so overwriting the nonce, AAD or data before the promise settles must not
 * change the result.
 */
import { describe, expect, it } from 'vitest';
import type { AeadAlgorithm } from '../../src/crypto/index.ts';
import { PROVIDERS } from './crypto-providers.ts';

const ALGORITHMS: [AeadAlgorithm, number][] = [
  ['AES-128-GCM', 16],
  ['AES-256-GCM', 32],
  ['CHACHA20-POLY1305', 32],
];

/** Bytes 0, 1, 2, … (mod 251), so every position differs from the scribble. */
function pattern(length: number, offset = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i + offset) % 251);
}

describe.each(PROVIDERS)('%s AEAD inputs', (_label, make) => {
  it.each(ALGORITHMS)('%s reads nonce, AAD and data when called', async (alg, keyLength) => {
    const provider = make();
    const key = await provider.aead(alg, pattern(keyLength, 7));
    const nonce = pattern(12, 3);
    const aad = pattern(13, 5);
    const plaintext = pattern(16_385, 9);
    const expected = await key.seal(nonce.slice(), aad.slice(), plaintext.slice());

    const [n, a, p] = [nonce.slice(), aad.slice(), plaintext.slice()];
    const sealing = key.seal(n, a, p);
    for (const b of [n, a, p]) b.fill(0xee);
    const sealed = await sealing;
    expect(sealed).toEqual(expected);

    const [n2, a2, c2] = [nonce.slice(), aad.slice(), expected.slice()];
    const opening = key.open(n2, a2, c2);
    for (const b of [n2, a2, c2]) b.fill(0xee);
    expect(await opening).toEqual(plaintext);
  });
});

import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { PROVIDERS, rejectionCode } from './crypto-providers.ts';

/** RFC 8439 §2.8.2: the ChaCha20-Poly1305 AEAD example. */
const CHACHA = {
  key: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: fromHex('070000004041424344454647'),
  aad: fromHex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, " +
      'sunscreen would be it.',
  ),
  ciphertext:
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92' +
    '728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b' +
    '4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
  tag: '1ae10b594f09e26a7e902ecbd0600691',
};

/** McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 4 (AES-128) and 16 (AES-256). */
const GCM_P =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525' +
  'b16aedf5aa0de657ba637b39';
const GCM = [
  {
    alg: 'AES-128-GCM' as const,
    key: 'feffe9928665731c6d6a8f9467308308',
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa05' +
      '1ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    alg: 'AES-256-GCM' as const,
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10568288' +
      '38c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];
const GCM_IV = fromHex('cafebabefacedbaddecaf888');
const GCM_AAD = fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad2');

describe.each(PROVIDERS)('AEAD with the %s provider', (_name, make) => {
  const provider = make();

  it('seals and opens the RFC 8439 §2.8.2 ChaCha20-Poly1305 example', async () => {
    const key = await provider.aead('CHACHA20-POLY1305', CHACHA.key);
    const sealed = await key.seal(CHACHA.nonce, CHACHA.aad, CHACHA.plaintext);
    expect(toHex(sealed)).toBe(CHACHA.ciphertext + CHACHA.tag);
    const opened = await key.open(CHACHA.nonce, CHACHA.aad, sealed);
    expect(toHex(opened)).toBe(toHex(CHACHA.plaintext));
  });

  it.each(GCM)('seals and opens the GCM spec vector for $alg', async (v) => {
    const key = await provider.aead(v.alg, fromHex(v.key));
    const sealed = await key.seal(GCM_IV, GCM_AAD, fromHex(GCM_P));
    expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
    expect(toHex(await key.open(GCM_IV, GCM_AAD, sealed))).toBe(GCM_P);
  });

  it.each(['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const)(
    '%s: a flipped bit in ciphertext, tag, nonce or AAD is BAD_RECORD_MAC',
    async (alg) => {
      const key = await provider.aead(alg, new Uint8Array(alg === 'AES-128-GCM' ? 16 : 32).fill(7));
      const nonce = new Uint8Array(12).fill(1);
      const aad = utf8('header');
      const sealed = await key.seal(nonce, aad, utf8('hello, record layer'));
      const flip = (b: Uint8Array, i: number) => {
        const c = b.slice();
        c[i] ^= 1;
        return c;
      };
      const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
        [nonce, aad, flip(sealed, 0)],
        [nonce, aad, flip(sealed, sealed.length - 1)],
        [flip(nonce, 11), aad, sealed],
        [nonce, flip(aad, 0), sealed],
        [nonce, aad, sealed.subarray(0, 15)],
        [nonce, aad, new Uint8Array(0)],
      ];
      for (const [n, a, c] of cases) {
        const err = await key.open(n, a, c).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(TlsError);
        expect((err as TlsError).code).toBe('BAD_RECORD_MAC');
        expect((err as TlsError).layer).toBe('record');
      }
      // The key still works after failures.
      expect(toHex(await key.open(nonce, aad, sealed))).toBe(toHex(utf8('hello, record layer')));
    },
  );

  it('seals an empty plaintext to just the tag, and opens it', async () => {
    const key = await provider.aead('AES-128-GCM', new Uint8Array(16));
    const nonce = new Uint8Array(12);
    const sealed = await key.seal(nonce, new Uint8Array(0), new Uint8Array(0));
    expect(sealed.length).toBe(16);
    expect((await key.open(nonce, new Uint8Array(0), sealed)).length).toBe(0);
  });

  it('does not depend on caller buffers after the call', async () => {
    const key = await provider.aead('AES-128-GCM', fromHex(GCM[0].key));
    const pt = fromHex(GCM_P);
    const nonce = GCM_IV.slice();
    const aad = GCM_AAD.slice();
    const pending = key.seal(nonce, aad, pt);
    pt.fill(0);
    nonce.fill(0);
    aad.fill(0);
    expect(toHex(await pending)).toBe(GCM[0].ciphertext + GCM[0].tag);
  });

  it('rejects a key of the wrong length', async () => {
    expect(await rejectionCode(provider.aead('AES-256-GCM', new Uint8Array(16)))).toBe(
      'INTERNAL_ERROR',
    );
  });

  it('agrees with the other providers on random inputs', async () => {
    const others = PROVIDERS.map(([, f]) => f());
    for (const alg of ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const) {
      const k = provider.random(alg === 'AES-128-GCM' ? 16 : 32);
      const nonce = provider.random(12);
      const aad = provider.random(13);
      const pt = provider.random(1000);
      const mine = await (await provider.aead(alg, k)).seal(nonce, aad, pt);
      for (const other of others) {
        const theirs = await other.aead(alg, k);
        expect(toHex(await theirs.open(nonce, aad, mine))).toBe(toHex(pt));
        expect(toHex(concat(await theirs.seal(nonce, aad, pt)))).toBe(toHex(mine));
      }
    }
  });
});

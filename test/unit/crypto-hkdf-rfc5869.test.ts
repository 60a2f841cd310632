import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts';
import { PROVIDERS, rejectionCode } from './crypto-providers.ts';

const range = (a: number, b: number) => Uint8Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** RFC 5869 Appendix A.1-A.3 (SHA-256). */
const CASES = [
  {
    name: 'A.1 basic',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: fromHex('000102030405060708090a0b0c'),
    info: fromHex('f0f1f2f3f4f5f6f7f8f9'),
    length: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'A.2 longer inputs',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    length: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c6' +
      '5e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'A.3 empty salt and info',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    length: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
];

describe.each(PROVIDERS)('RFC 5869 HKDF with the %s provider', (_name, make) => {
  const provider = make();

  it.each(CASES)('$name: Extract gives the PRK and Expand the OKM', async (c) => {
    const prk = await provider.hkdfExtract('SHA-256', c.salt, c.ikm);
    expect(toHex(prk)).toBe(c.prk);
    const okm = await provider.hkdfExpand('SHA-256', prk, c.info, c.length);
    expect(toHex(okm)).toBe(c.okm);
  });

  it('treats an empty salt as HashLen zero bytes for SHA-384 too', async () => {
    const ikm = utf8('input keying material');
    const a = await provider.hkdfExtract('SHA-384', new Uint8Array(0), ikm);
    const b = await provider.hkdfExtract('SHA-384', new Uint8Array(48), ikm);
    expect(a.length).toBe(48);
    expect(toHex(a)).toBe(toHex(b));
  });

  it('computes HMAC with an empty key, which RFC 2104 pads to the zero block', async () => {
    const empty = await provider.hmac('SHA-256', new Uint8Array(0), utf8('message'));
    // Pinned against OpenSSL: openssl dgst -sha256 -mac HMAC -macopt hexkey:00.
    expect(toHex(empty)).toBe('eb08c1f56d5ddee07f7bdf80468083da06b64cf4fac64fe3a90883df5feacae4');
  });

  it('refuses an Expand length over 255 * HashLen', async () => {
    const prk = new Uint8Array(32).fill(1);
    expect(
      await rejectionCode(provider.hkdfExpand('SHA-256', prk, new Uint8Array(0), 255 * 32 + 1)),
    ).toBe('INTERNAL_ERROR');
    const max = await provider.hkdfExpand('SHA-256', prk, new Uint8Array(0), 255 * 32);
    expect(max.length).toBe(255 * 32);
  });

  it('digests with every hash (FIPS 180-4 "abc" vectors)', async () => {
    const abc = utf8('abc');
    expect(toHex(await provider.digest('SHA-256', abc))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(toHex(await provider.digest('SHA-384', abc))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed' +
        '8086072ba1e7cc2358baeca134c825a7',
    );
    expect(toHex(await provider.digest('SHA-1', abc))).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    );
  });
});

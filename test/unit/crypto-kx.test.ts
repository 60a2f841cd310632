import { x25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { withFixedKeyShares } from '../../src/crypto/testing.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { counterRandom, PROVIDERS, rejectionCode } from './crypto-providers.ts';

/** RFC 7748 §6.1. */
const RFC7748 = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

const HYBRID = NamedGroup.X25519MLKEM768;

describe.each(PROVIDERS)('key exchange with the %s provider', (_name, make) => {
  const provider = make();

  it('offers the default groups and suites in order', () => {
    expect(provider.groups).toEqual([0x11ec, 0x001d, 0x0017, 0x0018]);
    expect(provider.cipherSuites).toEqual([0x1301, 0x1302, 0x1303]);
    for (const g of provider.groups) expect(provider.keyExchange(g)?.group).toBe(g);
    expect(provider.keyExchange(NamedGroup.x448)).toBeUndefined();
  });

  it('reproduces RFC 7748 §6.1 through withFixedKeyShares, as client and as server', async () => {
    const fixed = withFixedKeyShares(provider, {
      [NamedGroup.x25519]: [fromHex(RFC7748.alicePrivate), fromHex(RFC7748.bobPrivate)],
    });
    const group = fixed.keyExchange(NamedGroup.x25519)!;
    const alice = await group.generate();
    expect(toHex(alice.publicKey)).toBe(RFC7748.alicePublic);
    const bob = await group.encapsulate(alice.publicKey);
    expect(toHex(bob.share)).toBe(RFC7748.bobPublic);
    expect(toHex(bob.secret)).toBe(RFC7748.shared);
    expect(toHex(await alice.complete(bob.share))).toBe(RFC7748.shared);
    // The list is used up: the next key is fresh.
    const fresh = await group.generate();
    expect(toHex(fresh.publicKey)).not.toBe(RFC7748.alicePublic);
  });

  it('fixes P-256 and P-384 keys too (scalar 1 gives the generator)', async () => {
    const one = (n: number) => {
      const d = new Uint8Array(n);
      d[n - 1] = 1;
      return d;
    };
    const fixed = withFixedKeyShares(provider, {
      [NamedGroup.secp256r1]: [one(32)],
      [NamedGroup.secp384r1]: [one(48)],
    });
    const p256 = await fixed.keyExchange(NamedGroup.secp256r1)!.generate();
    // SEC 2 §2.4.2: the x-coordinate of G.
    expect(toHex(p256.publicKey.subarray(0, 33))).toBe(
      '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296',
    );
    const p384 = await fixed.keyExchange(NamedGroup.secp384r1)!.generate();
    expect(toHex(p384.publicKey.subarray(0, 49))).toBe(
      '04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7',
    );
  });

  it.each([
    [NamedGroup.x25519, 32, 32],
    [NamedGroup.secp256r1, 65, 32],
    [NamedGroup.secp384r1, 97, 48],
  ])(
    'group %i: client and server agree, with shares of %i bytes',
    async (g, shareLen, secretLen) => {
      const group = provider.keyExchange(g)!;
      const client = await group.generate();
      expect(client.publicKey.length).toBe(shareLen);
      if (g !== NamedGroup.x25519) expect(client.publicKey[0]).toBe(4);
      const server = await group.encapsulate(client.publicKey);
      expect(server.share.length).toBe(shareLen);
      expect(server.secret.length).toBe(secretLen);
      expect(toHex(await client.complete(server.share))).toBe(toHex(server.secret));
    },
  );

  it('rejects malformed ECDH shares with ILLEGAL_PARAMETER', async () => {
    const p256 = provider.keyExchange(NamedGroup.secp256r1)!;
    const good = (await p256.generate()).publicKey;
    const compressed = good.slice(0, 33);
    compressed[0] = 0x02 | (good[64] & 1);
    const offCurve = good.slice();
    offCurve[64] ^= 1;
    const client = await p256.generate();
    for (const bad of [
      compressed,
      offCurve,
      good.subarray(0, 64),
      new Uint8Array(65),
      new Uint8Array(0),
    ]) {
      expect(await rejectionCode(p256.encapsulate(bad))).toBe('ILLEGAL_PARAMETER');
      expect(await rejectionCode(client.complete(bad))).toBe('ILLEGAL_PARAMETER');
    }
    const p384 = provider.keyExchange(NamedGroup.secp384r1)!;
    expect(await rejectionCode(p384.encapsulate(good))).toBe('ILLEGAL_PARAMETER');
  });

  it('rejects X25519 shares of the wrong length and low-order points (all-zero secret)', async () => {
    const group = provider.keyExchange(NamedGroup.x25519)!;
    const client = await group.generate();
    // RFC 8446 §7.4.2: u = 0 and u = 1 give the all-zero shared secret.
    const one = new Uint8Array(32);
    one[0] = 1;
    for (const bad of [new Uint8Array(32), one, new Uint8Array(31), new Uint8Array(33)]) {
      expect(await rejectionCode(group.encapsulate(bad))).toBe('ILLEGAL_PARAMETER');
      expect(await rejectionCode(client.complete(bad))).toBe('ILLEGAL_PARAMETER');
    }
  });

  it('X25519MLKEM768: shares of 1216 and 1120 bytes, equal 64-byte secrets', async () => {
    const group = provider.keyExchange(HYBRID)!;
    expect(group.name).toBe('X25519MLKEM768');
    const client = await group.generate();
    expect(client.group).toBe(HYBRID);
    expect(client.publicKey.length).toBe(1184 + 32);
    const server = await group.encapsulate(client.publicKey);
    expect(server.share.length).toBe(1088 + 32);
    expect(server.secret.length).toBe(64);
    expect(toHex(await client.complete(server.share))).toBe(toHex(server.secret));
  });

  it('X25519MLKEM768: ML-KEM secret first, then X25519 (draft-ietf-tls-ecdhe-mlkem §3.3)', async () => {
    // Record the injected randomness to recompute both halves independently with noble.
    const drawn: Uint8Array[] = [];
    const source = counterRandom(7);
    const recorded = make({
      random: (n) => {
        const b = source(n);
        drawn.push(b.slice());
        return b;
      },
    });
    const group = recorded.keyExchange(HYBRID)!;
    const client = await group.generate();
    const seed = drawn.find((b) => b.length === 64)!;
    const xPriv = drawn.find((b) => b.length === 32)!;
    const { publicKey: ek, secretKey: dk } = ml_kem768.keygen(seed);
    expect(toHex(client.publicKey)).toBe(toHex(ek) + toHex(x25519.getPublicKey(xPriv)));

    const server = await provider.keyExchange(HYBRID)!.encapsulate(client.publicKey);
    const ct = server.share.subarray(0, 1088);
    const serverX = server.share.subarray(1088);
    const kemSecret = ml_kem768.decapsulate(ct, dk);
    const ecdhSecret = x25519.getSharedSecret(xPriv, serverX);
    expect(toHex(server.secret)).toBe(toHex(kemSecret) + toHex(ecdhSecret));
    expect(toHex(await client.complete(server.share))).toBe(toHex(server.secret));
  });

  it('X25519MLKEM768: malformed shares are ILLEGAL_PARAMETER', async () => {
    const group = provider.keyExchange(HYBRID)!;
    const client = await group.generate();
    const share = client.publicKey;
    // FIPS 203 §7.2 modulus check: a 12-bit coefficient of 0xfff is not below q.
    const badModulus = share.slice();
    badModulus[0] = 0xff;
    badModulus[1] |= 0x0f;
    // An all-zero X25519 part makes the ECDH secret all zero.
    const zeroX = share.slice();
    zeroX.fill(0, 1184);
    for (const bad of [
      share.subarray(0, 1215),
      new Uint8Array(1217),
      badModulus,
      zeroX,
      new Uint8Array(0),
    ]) {
      expect(await rejectionCode(group.encapsulate(bad))).toBe('ILLEGAL_PARAMETER');
    }
    const server = await group.encapsulate(share);
    const zeroServerX = server.share.slice();
    zeroServerX.fill(0, 1088);
    for (const bad of [server.share.subarray(0, 1119), new Uint8Array(1121), share, zeroServerX]) {
      expect(await rejectionCode(client.complete(bad))).toBe('ILLEGAL_PARAMETER');
    }
  });

  it('draws key material from an injected random source', async () => {
    const a = make({ random: counterRandom(3) });
    const b = make({ random: counterRandom(3) });
    for (const g of [NamedGroup.x25519, NamedGroup.secp256r1, HYBRID]) {
      const ka = await a.keyExchange(g)!.generate();
      const kb = await b.keyExchange(g)!.generate();
      expect(toHex(ka.publicKey)).toBe(toHex(kb.publicKey));
    }
    expect(toHex(a.random(16))).toBe(toHex(b.random(16)));
  });
});

/**
 * Bad key shares from a peer, against a webtls side on the node provider: a client sending a
 * share that is low-order (X25519), off the curve (P-256, P-384) or fails the ML-KEM modulus
 * check (X25519MLKEM768), and a server answering with such a share. The node side must fail with
 * TlsError ILLEGAL_PARAMETER and send the illegal_parameter alert (RFC 8446 §4.2.8.2, §7.4.2;
 * draft-ietf-tls-ecdhe-mlkem §3.2); the peer sees that alert.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { AlertDescription, NamedGroup } from '../../src/msgs/enums.ts';
import { nodeProvider } from '../../src/node/index.ts';
import * as certs from '../unit/data/certs.ts';
import { certifiedKey } from '../unit/helpers/loopback.ts';

const node = nodeProvider();

/** The node provider with every share it sends passed through `spoil` first. */
function sendingBadShares(spoil: (good: Uint8Array) => Uint8Array): CryptoProvider {
  return {
    ...node,
    keyExchange(group) {
      const inner = node.keyExchange(group);
      if (!inner) return undefined;
      const spoiled: KeyExchangeGroup = {
        group: inner.group,
        name: inner.name,
        fips: inner.fips,
        async generate() {
          const share = await inner.generate();
          return { ...share, publicKey: spoil(share.publicKey), complete: share.complete };
        },
        async encapsulate(clientShare) {
          const answer = await inner.encapsulate(clientShare);
          return { share: spoil(answer.share), secret: answer.secret };
        },
      };
      return spoiled;
    },
  };
}

/** The description of the plaintext fatal alert ending `wire`. */
function plainAlert(wire: Uint8Array | null): number | undefined {
  if (!wire || wire.length < 7) return undefined;
  const tail = wire.subarray(wire.length - 7);
  return tail[0] === 21 && tail[5] === 2 ? tail[6] : undefined;
}

async function failure(p: Promise<unknown>): Promise<TlsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TlsError);
  return err as TlsError;
}

const zeros = (good: Uint8Array) => new Uint8Array(good.length);
const flipLast = (good: Uint8Array) => {
  const bad = good.slice();
  bad[bad.length - 1] ^= 1;
  return bad;
};
/** X25519MLKEM768 client share with a 12-bit coefficient of 0xfff (FIPS 203 §7.2). */
const badModulus = (good: Uint8Array) => {
  const bad = good.slice();
  bad[0] = 0xff;
  bad[1] |= 0x0f;
  return bad;
};
/** A hybrid share whose X25519 part (the last 32 bytes) is zero. */
const zeroX25519Part = (good: Uint8Array) => {
  const bad = good.slice();
  bad.fill(0, bad.length - 32);
  return bad;
};

const CLIENT_CASES: [string, number, (good: Uint8Array) => Uint8Array][] = [
  ['X25519, all zero (low order)', NamedGroup.x25519, zeros],
  ['P-256, off the curve', NamedGroup.secp256r1, flipLast],
  ['P-384, off the curve', NamedGroup.secp384r1, flipLast],
  ['X25519MLKEM768, ML-KEM modulus check fails', NamedGroup.X25519MLKEM768, badModulus],
  ['X25519MLKEM768, zero X25519 part', NamedGroup.X25519MLKEM768, zeroX25519Part],
];

const SERVER_CASES: [string, number, (good: Uint8Array) => Uint8Array][] = [
  ['X25519, all zero (low order)', NamedGroup.x25519, zeros],
  ['P-256, off the curve', NamedGroup.secp256r1, flipLast],
  ['P-384, off the curve', NamedGroup.secp384r1, flipLast],
  ['X25519MLKEM768, zero X25519 part', NamedGroup.X25519MLKEM768, zeroX25519Part],
];

describe('a node-provider server given a bad client key share', () => {
  it.each(CLIENT_CASES)('%s → illegal_parameter', async (_n, group, spoil) => {
    const c = new ClientConnection(
      { provider: sendingBadShares(spoil), roots: [certs.caPem], groups: [group] },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider: node,
      certificates: [await certifiedKey(node, certs.p256CertPem, certs.p256KeyPem)],
    });
    await c.process();
    s.readTls(c.takeTls()!);
    const err = await failure(s.process());
    expect(err.code).toBe('ILLEGAL_PARAMETER');
    const alert = s.takeTls();
    expect(plainAlert(alert)).toBe(AlertDescription.illegal_parameter);
    // The client hears why.
    c.readTls(alert!);
    const heard = await failure(c.process());
    expect(heard.code).toBe('PEER_ALERT');
    expect(heard.peerAlert).toBe(AlertDescription.illegal_parameter);
  });
});

describe('a node-provider client given a bad server key share', () => {
  it.each(SERVER_CASES)('%s → illegal_parameter', async (_n, group, spoil) => {
    const bad = sendingBadShares(spoil);
    const c = new ClientConnection(
      { provider: node, roots: [certs.caPem], groups: [group] },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider: bad,
      certificates: [await certifiedKey(bad, certs.p256CertPem, certs.p256KeyPem)],
    });
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    c.readTls(s.takeTls()!);
    const err = await failure(c.process());
    expect(err.code).toBe('ILLEGAL_PARAMETER');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.illegal_parameter);
  });
});

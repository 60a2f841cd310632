/**
 * The benchmark contenders really speak TLS: every client against every server (webtls with each
 * provider, node:tls), TLS 1.3 and 1.2, a full handshake, data both ways, then resumption. The
 * numbers bench/ reports mean nothing unless these pass.
 */
import { describe, expect, it } from 'vitest';
import { nodeTlsContender } from '../../bench/lib/contenders/node-tls.ts';
import type { Contender, Setup } from '../../bench/lib/contenders/types.ts';
import { webtlsContender } from '../../bench/lib/contenders/webtls.ts';
import { duplexPair } from '../../bench/lib/duplex-pair.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import { nodeProvider } from '../../src/node/index.ts';

const CONTENDERS: Contender[] = [
  nodeTlsContender,
  webtlsContender('webtls subtle', subtleProvider()),
  webtlsContender('webtls noble', nobleProvider()),
  webtlsContender('webtls node', nodeProvider()),
];

const SETUPS: Setup[] = [
  { cert: 'p256', version: 'TLSv1.3', group: 'X25519' },
  { cert: 'rsa2048', version: 'TLSv1.2', group: 'P-256' },
];

describe.each(SETUPS)('$version, $cert, $group', (setup) => {
  it.each(CONTENDERS.map((c) => [c.name, c] as const))('%s client', async (_, client) => {
    const makeClient = await client.client(setup);
    expect(makeClient).not.toBeNull();
    let servers = 0;
    for (const server of CONTENDERS) {
      const makeServer = await server.server(setup);
      if (!makeServer) continue; // the noble provider does not sign with RSA
      servers++;
      const resumed: boolean[] = [];
      for (const resume of [false, true, true]) {
        const [a, b] = duplexPair();
        const s = makeServer(b);
        const c = makeClient!(a, { resume });
        await Promise.all([c.opened, s.opened]);
        await c.write(new Uint8Array(1000).fill(7));
        await s.read(1000);
        await s.write(new Uint8Array(70_000));
        await c.read(70_000);
        expect(c.resumed(), `${server.name}`).toBe(s.resumed());
        resumed.push(c.resumed());
        c.close();
        s.close();
      }
      expect(resumed[0], server.name).toBe(false);
      expect(resumed[2], server.name).toBe(true);
    }
    expect(servers).toBeGreaterThanOrEqual(3);
  });
});

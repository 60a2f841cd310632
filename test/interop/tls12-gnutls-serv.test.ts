/**
 * webtls client → gnutls-serv over TLS 1.2 (`NORMAL:-VERS-ALL:+VERS-TLS1.2`): every suite (an
 * ECDSA P-256 and an RSA certificate loaded together), and resumption by RFC 5077 ticket
 * (gnutls-serv's default) and by session ID (`--noticket`). gnutls-serv binds every interface,
 * so it runs with the webtls client in a private network namespace (`unshare -n`). A resumed
 * connection can only complete if the server really resumed: its Finished is checked under
 * the stored master secret.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TLS12_SUITES } from '../../src/crypto/index.ts';
import { gnutlsServeArgs, startInNetns } from './peers/gnutls.ts';
import { netnsClientCommand, netnsResults } from './peers/netns-cases.ts';
import type { NetnsCase } from './peers/netns-client.ts';
import { certFiles, ROOT } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';

const HAVE = requirePeer('gnutls-serv', 'unshare', 'ip');
const PRIORITY = 'NORMAL:-VERS-ALL:+VERS-TLS1.2';

describe.skipIf(!HAVE || !canUnshareNet())(
  'webtls → gnutls-serv TLS 1.2 (in a private netns)',
  () => {
    afterAll(killAllPeers);

    it('every suite; resumption by ticket and by session ID', async () => {
      // 1. Two echo servers with both certificates: tickets on (default) and --noticket.
      const ec = certFiles('p256');
      const rsa = certFiles('rsa2048');
      const serve = (port: number, extra: string[]) =>
        gnutlsServeArgs({
          port,
          chain: ec.chain,
          key: ec.key,
          mode: 'echo',
          priority: PRIORITY,
          extra: ['--x509certfile', rsa.chain, '--x509keyfile', rsa.key, ...extra],
        });
      const servers = [serve(5101, []), serve(5102, ['--noticket'])];

      // 2. The cases, each a TLS 1.2-only webtls client.
      const base = { maxVersion: 'TLSv1.2' as const, ca: ROOT };
      const cases: NetnsCase[] = TLS12_SUITES.map((suite) => ({
        id: suite.name,
        port: 5101,
        tls12Cipher: suite.opensslName,
        message: `hello over ${suite.opensslName}\n`,
        ...base,
      }));
      cases.push({ id: 'resume ticket', port: 5101, message: 'again\n', resume: true, ...base });
      cases.push({
        id: 'resume session id',
        port: 5102,
        message: 'again\n',
        resume: true,
        ...base,
      });

      // 3. Run the client in the namespace.
      const proc = startInNetns(servers, netnsClientCommand(cases));
      await proc.waitExit(240_000);

      // 4. Every case did what it asked for.
      const results = netnsResults(proc.stdout);
      for (const c of cases) {
        const result = results.get(c.id);
        expect(result, `${c.id}\n${proc.output}`).toBeDefined();
        expect(result!.ok, `${c.id}: ${result!.error}\n${proc.output}`).toBe(true);
        expect(result!.protocol).toBe('TLSv1.2');
        expect(result!.verification).toBe('OK');
        expect(result!.received).toContain(c.message);
      }
      for (const suite of TLS12_SUITES) expect(results.get(suite.name)!.suite).toBe(suite.name);
      expect(results.get('resume ticket')!.resumed).toBe(true);
      expect(results.get('resume session id')!.resumed).toBe(true);
    }, 300_000);
  },
);

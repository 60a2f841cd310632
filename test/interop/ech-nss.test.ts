/**
 * Encrypted Client Hello with NSS's `tstclnt` (libnss3-tools 3.87) as the client of a webtls
 * server on 127.0.0.1. tstclnt takes the ECHConfigList in base64 with `-N` and GREASE ECH with
 * `-i SIZE`; NSS 3.87 speaks ECH version 0xfe0d, the version webtls implements
 * (draft-ietf-tls-esni §4), so the offer is accepted:
 * - the inner SNI (other.test) picks the certificate, the outer one is the public name, also
 *   across a HelloRetryRequest, and when resuming a ticket (`-L 2 -u`);
 * - a config the server no longer holds is rejected with retry configs, which tstclnt prints
 *   (`Received ECH retry_configs:`) after failing with SSL_ERROR_ECH_RETRY_WITH_ECH;
 * - a GREASE offer completes an ordinary handshake;
 * - the same through `webtls s_server -ech_key`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEchConfigList } from '../../src/ech/config.ts';
import { type EchKeyPair, echKeyToPem, generateEchKey } from '../../src/ech/keys.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { toBase64 } from '../../src/util/bytes.ts';
import { makeNssDb, type NssDb, startTstclnt } from './peers/nss.ts';
import { certFiles, otherCertFiles } from './peers/pki.ts';
import { killAllPeers } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  startWebtlsServerCli,
  type WebtlsServer,
} from './peers/webtls.ts';

const HAVE = requirePeer('tstclnt', 'certutil', 'pk12util', 'openssl');
const PUBLIC_NAME = 'localhost';
const INNER_NAME = 'other.test';

/** Reads one chunk, answers it, and closes (tstclnt ends a connection when the server does). */
const answerAndClose: SessionHandler = async (tls, session) => {
  const reader = tls.readable.getReader();
  const writer = tls.writable.getWriter();
  const { value } = await reader.read();
  session.received = new TextDecoder().decode(value);
  await writer.write(value ?? new Uint8Array(0));
  await writer.close();
  await tls.closed;
};

describe.skipIf(!HAVE)('tstclnt -N (ECH) → webtls server', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'webtls-ech-nss-'));
  const request = join(tmp, 'request.txt');
  let db: NssDb;
  let key: EchKeyPair;
  let retired: EchKeyPair;
  let server: WebtlsServer;
  const listOf = (k: EchKeyPair) => toBase64(encodeEchConfigList([k.config]));

  beforeAll(async () => {
    writeFileSync(request, 'hello over ech\n');
    db = makeNssDb();
    key = await generateEchKey({ publicName: PUBLIC_NAME, configId: 11 });
    retired = await generateEchKey({ publicName: PUBLIC_NAME, configId: 12 });
    server = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(otherCertFiles())],
        ech: { keys: [key] },
      },
      answerAndClose,
    );
  });
  afterAll(async () => {
    await killAllPeers();
    await server?.close();
    db?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  const tstclnt = (serverName: string, extra: string[], port = server.port) =>
    startTstclnt({
      port,
      db,
      versions: 'tls1.3:tls1.3',
      requestFile: request,
      serverName,
      extra,
    });

  it('is accepted: the inner SNI picks the certificate, the outer one is the public name', async () => {
    const n = server.sessions.length;
    const client = tstclnt(INNER_NAME, ['-N', listOf(key)]);
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    expect(client.output).toContain('subject DN: CN=other.test');
    expect(client.stdout).toContain('hello over ech');
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.ech).toBe('accepted');
    expect(session.info?.serverName).toBe(INNER_NAME);
    expect(session.info?.outerServerName).toBe(PUBLIC_NAME);
    expect(session.received).toBe('hello over ech\n');
  });

  it('is accepted across a HelloRetryRequest (the server wants P-256)', async () => {
    const hrr = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(otherCertFiles())],
        ech: { keys: [key] },
        groups: [NamedGroup.secp256r1],
      },
      answerAndClose,
    );
    try {
      const client = tstclnt(INNER_NAME, ['-N', listOf(key), '-I', 'x25519,P256'], hrr.port);
      const { code } = await client.waitExit();
      expect(code, client.output).toBe(0);
      expect(client.output).toContain('subject DN: CN=other.test');
      const session = await hrr.session(0);
      expect(session.error).toBeUndefined();
      expect(session.info?.helloRetry).toBe(true);
      expect(session.info?.group).toBe('P-256');
      expect(session.info?.ech).toBe('accepted');
      expect(session.info?.serverName).toBe(INNER_NAME);
    } finally {
      await hrr.close();
    }
  });

  it('resumes inside ECH: tstclnt -L 2 -u, the second connection resumes a ticket', async () => {
    const resuming = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(otherCertFiles())],
        ech: { keys: [key] },
        ticketer: new AeadTicketer(),
      },
      answerAndClose,
    );
    try {
      const client = startTstclnt({
        port: resuming.port,
        db,
        versions: 'tls1.3:tls1.3',
        requestFile: request,
        serverName: INNER_NAME,
        tickets: true,
        connections: 2,
        extra: ['-N', listOf(key)],
      });
      const { code } = await client.waitExit();
      expect(code, client.output).toBe(0);
      const [first, second] = [await resuming.session(0), await resuming.session(1)];
      expect(first.info).toMatchObject({ ech: 'accepted', resumed: false });
      expect(second.info).toMatchObject({ ech: 'accepted', resumed: true });
      expect(second.info?.serverName).toBe(INNER_NAME);
      expect(second.info?.outerServerName).toBe(PUBLIC_NAME);
      expect(client.output).toContain('1 stateless resume');
    } finally {
      await resuming.close();
    }
  });

  it('a retired config is rejected; tstclnt receives the current list as retry configs', async () => {
    const n = server.sessions.length;
    const client = tstclnt(PUBLIC_NAME, ['-N', listOf(retired)]);
    await client.waitExit();
    expect(client.output).toContain('SSL_ERROR_ECH_RETRY_WITH_ECH');
    const printed = /Received ECH retry_configs:\s*\n(\S+)/.exec(client.output);
    expect(printed, client.output).not.toBeNull();
    expect(printed![1]).toBe(listOf(key));
    const session = await server.session(n);
    // tstclnt ends the connection with the ech_required alert (§6.1.6), as a client must. The
    // server's info exists only if its handshake had completed when the alert came.
    expect(String(session.error)).toMatch(/ech_required/);
    if (session.info) expect(session.info.ech).toBe('rejected');
  });

  it('a GREASE ECH extension (-i 32) completes an ordinary handshake', async () => {
    const n = server.sessions.length;
    const client = tstclnt(PUBLIC_NAME, ['-i', '32']);
    const { code } = await client.waitExit();
    expect(code, client.output).toBe(0);
    expect(client.stdout).toContain('hello over ech');
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.ech).toBe('rejected');
    expect(session.info?.outerServerName).toBeUndefined();
  });

  it('webtls s_server -ech_key: accepted, with the inner and outer SNI in the summary', async () => {
    const file = join(tmp, 'ech.pem');
    writeFileSync(file, echKeyToPem(key), { mode: 0o600 });
    const other = otherCertFiles();
    const p256 = certFiles('p256');
    const cli = await startWebtlsServerCli([
      '-cert',
      p256.chain,
      '-key',
      p256.key,
      '-cert2',
      other.chain,
      '-key2',
      other.key,
      '-ech_key',
      file,
    ]);
    try {
      const client = tstclnt(INNER_NAME, ['-N', listOf(key)], cli.port);
      // The CLI server does not close first: tstclnt ends when the summary is out and killed.
      await cli.proc.waitFor(/ECH: \w+/, { stream: 'stderr' });
      await client.waitFor(/subject DN/);
      client.kill();
      expect(cli.proc.stderr).toMatch(/SNI: other\.test\nOuter SNI: localhost\n/);
      expect(cli.proc.stderr).toContain('ECH: accepted');
      expect(client.output).toContain('subject DN: CN=other.test');
    } finally {
      cli.proc.kill();
    }
  });
});

/**
 * Encrypted Client Hello with BoringSSL (`bssl-tool`, Debian android-boringssl 13), both ways.
 * Keys come from `bssl-tool generate-ech` (raw files: ECHConfigList, one ECHConfig, the X25519
 * private key), from `generateEchKey`, and from the `webtls ech` command.
 * - webtls client → `bssl-tool server -ech-key -ech-config`, in a private network namespace (it
 *   binds every interface), through the streams API (test/interop/peers/ech-client.ts) and
 *   `webtls s_client -ech_config_list`: accepted, and bssl-tool reports
 *   `Encrypted ClientHello: yes`; with a config for a key the server does not hold, ECH_REQUIRED
 *   carries the server's list as retry configs and a second connection with them is accepted;
 *   a resumed connection sends 0-RTT data inside ECH; a GREASE offer completes normally.
 * - `bssl-tool client -ech-config-list` → a webtls server on 127.0.0.1 (accept() and
 *   `webtls s_server -ech_key`): accepted, the server sees the inner SNI and the outer one;
 *   `bssl-tool client -ech-grease` completes an ordinary handshake.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEchConfigList, encodeEchConfigList } from '../../src/ech/config.ts';
import { type EchKeyPair, echKeyToPem, generateEchKey } from '../../src/ech/keys.ts';
import { TlsError } from '../../src/error.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import { toBase64 } from '../../src/util/bytes.ts';
import {
  type BsslEchFiles,
  generateBsslEch,
  runWithBsslServer,
  startBsslClient,
} from './peers/bssl.ts';
import type { EchCase, EchRun } from './peers/ech-client.ts';
import { shQuote } from './peers/gnutls.ts';
import { certFiles, otherCertFiles, REPO, ROOT } from './peers/pki.ts';
import { killAllPeers, type Proc, runProc } from './peers/proc.ts';
import { canUnshareNet, requirePeer } from './peers/require.ts';
import {
  loadCert,
  type SessionHandler,
  startWebtlsServer,
  startWebtlsServerCli,
  WEBTLS_BIN,
} from './peers/webtls.ts';

const HAVE = requirePeer('bssl-tool');
const HAVE_NETNS = HAVE && requirePeer('unshare', 'ip', 'ss') && canUnshareNet();
const PUBLIC_NAME = 'localhost';
const INNER_NAME = 'other.test';
const EARLY = 'GET /early HTTP/1.0\r\nX-Zero-RTT: ech\r\n\r\n';
const dir = mkdtempSync(join(tmpdir(), 'webtls-ech-bssl-'));

// Two bssl-tool keys with the same public name and config_id: A is the one clients know, B the
// one a "rotated" server holds.
let keyA: BsslEchFiles;
let keyB: BsslEchFiles;
const b64 = (file: string) => readFileSync(file).toString('base64');

beforeAll(() => {
  if (!HAVE) return;
  keyA = generateBsslEch(dir, 'a', PUBLIC_NAME, 3);
  keyB = generateBsslEch(dir, 'b', PUBLIC_NAME, 3);
});

afterAll(async () => {
  await killAllPeers();
  rmSync(dir, { recursive: true, force: true });
});

/** bssl-tool server's `Encrypted ClientHello:` report, one per connection. */
function bsslEchReports(out: string): string[] {
  return [...out.matchAll(/Encrypted ClientHello: (\w+)/g)].map((m) => m[1]);
}

/** The shell command running the streams-API client script for `c`. */
function echClientCommand(c: EchCase): string {
  const tsx = `${REPO}/node_modules/.bin/tsx`;
  const script = `${REPO}/test/interop/peers/ech-client.ts`;
  return `cd ${shQuote(REPO)}; ${shQuote(tsx)} ${shQuote(script)} ${shQuote(JSON.stringify(c))}`;
}

function echResult(client: string, output: string): EchRun {
  const match = /^RESULT (.*)$/m.exec(client);
  if (!match) throw new Error(`no RESULT line:\n${output}`);
  return JSON.parse(match[1]) as EchRun;
}

describe.skipIf(!HAVE_NETNS)('webtls client → bssl-tool server -ech-key (netns)', () => {
  it('the streams API: accepted; bssl-tool reports Encrypted ClientHello: yes', async () => {
    const c: EchCase = { port: 5050, ca: ROOT, configList: b64(keyA.list), message: 'inner\n' };
    const run = await runWithBsslServer(
      { port: 5050, cert: certFiles('p256'), ech: keyA },
      echClientCommand(c),
    );
    const result = echResult(run.client, run.proc.output);
    expect(result.first, run.proc.output).toMatchObject({ ok: true, ech: 'accepted' });
    expect(bsslEchReports(run.server), run.proc.output).toEqual(['yes']);
    expect(run.server).toContain('Client sent SNI: localhost');
    expect(run.server).toContain('inner\n');
  }, 120_000);

  it('a stale config: ECH_REQUIRED with the server list as retry configs; the retry is accepted', async () => {
    const c: EchCase = {
      port: 5051,
      ca: ROOT,
      configList: b64(keyA.list),
      message: 'retried\n',
      next: 'retry',
    };
    const run = await runWithBsslServer(
      { port: 5051, cert: certFiles('p256'), ech: keyB },
      echClientCommand(c),
    );
    const result = echResult(run.client, run.proc.output);
    expect(result.first, run.proc.output).toMatchObject({ ok: false, code: 'ECH_REQUIRED' });
    expect(result.first.retryConfigs).toBe(b64(keyB.list));
    expect(result.second, run.proc.output).toMatchObject({ ok: true, ech: 'accepted' });
    // bssl-tool server saw the rejected offer end with our ech_required alert (§6.1.6).
    expect(bsslEchReports(run.server), run.proc.output).toEqual(['no', 'yes']);
    expect(run.server).toContain('TLSV1_ALERT_ECH_REQUIRED');
    expect(run.server).toContain('retried\n');
  }, 120_000);

  it('resumption with 0-RTT inside ECH (bssl-tool server -early-data)', async () => {
    const c: EchCase = {
      port: 5052,
      ca: ROOT,
      configList: b64(keyA.list),
      message: 'after\n',
      next: 'resume',
      earlyData: EARLY,
    };
    const run = await runWithBsslServer(
      { port: 5052, cert: certFiles('p256'), ech: keyA, earlyData: true },
      echClientCommand(c),
    );
    const result = echResult(run.client, run.proc.output);
    expect(result.first, run.proc.output).toMatchObject({ ok: true, ech: 'accepted' });
    expect(result.first.sessions).toBeGreaterThan(0);
    expect(result.second, run.proc.output).toMatchObject({
      ok: true,
      ech: 'accepted',
      resumed: true,
      earlyData: 'accepted',
    });
    expect(bsslEchReports(run.server)).toEqual(['yes', 'yes']);
    expect(run.server).toMatch(/Resumed session: yes[\s\S]*Early data: yes/);
    expect(run.server, run.proc.output).toContain(`${EARLY}after\n`);
  }, 120_000);

  it('across a HelloRetryRequest (bssl-tool server -curves P-256), via s_client', async () => {
    const args = ['-connect', '127.0.0.1:5054', '-servername', PUBLIC_NAME, '-CAfile', ROOT];
    args.push('-groups', 'X25519:P-384:P-256', '-ech_config_list', b64(keyA.list));
    const client = `echo hrr | ${shQuote(WEBTLS_BIN)} s_client ${args.map(shQuote).join(' ')} 2>&1`;
    const run = await runWithBsslServer(
      { port: 5054, cert: certFiles('p256'), ech: keyA, extra: ['-curves', 'P-256'] },
      client,
    );
    expect(run.client, run.proc.output).toContain('CLIENT-EXIT 0');
    expect(run.client).toContain('Group: P-256');
    expect(run.client).toContain('HelloRetryRequest: yes');
    expect(run.client).toContain('ECH: accepted');
    expect(bsslEchReports(run.server), run.proc.output).toEqual(['yes']);
    expect(run.server).toContain('hrr\n');
  }, 120_000);

  it('webtls s_client -ech_config_list, a stale list, its printed retry configs, -ech_grease', async () => {
    // `raw` is appended unquoted (a shell variable).
    const sClient = (args: string[], raw = '') =>
      `echo hello | ${shQuote(WEBTLS_BIN)} s_client ${raw} ${[
        '-connect',
        '127.0.0.1:5053',
        '-servername',
        PUBLIC_NAME,
        '-CAfile',
        ROOT,
        ...args,
      ]
        .map(shQuote)
        .join(' ')} 2>&1`;
    const client = [
      `${sClient(['-ech_config_list', b64(keyB.list)])}; echo "ACCEPTED-EXIT $?"`,
      // A stale list: the retry configs printed are fed to the next run, as a script would.
      `{ ${sClient(['-ech_config_list', b64(keyA.list)])}; } >${dir}/stale.txt 2>&1; echo "STALE-EXIT $?"`,
      `cat ${dir}/stale.txt`,
      `retry=$(sed -n 's/^ECH retry configs: //p' ${dir}/stale.txt)`,
      `${sClient([], '-ech_config_list "$retry"')}; echo "RETRY-EXIT $?"`,
      `${sClient(['-ech_grease'])}; echo "GREASE-EXIT $?"`,
    ].join('\n');
    const run = await runWithBsslServer(
      { port: 5053, cert: certFiles('p256'), ech: keyB },
      client,
      180_000,
    );
    const out = run.proc.output;
    const [accepted, rest1] = run.client.split('ACCEPTED-EXIT ');
    expect(rest1?.slice(0, 1), out).toBe('0');
    expect(accepted).toContain('ECH: accepted');
    expect(accepted).toContain('SNI: localhost');
    const [stale, rest2] = rest1.split('STALE-EXIT ');
    expect(rest2.slice(0, 1), out).toBe('1');
    expect(stale).not.toContain('ECH: accepted');
    const [staleText, rest3] = rest2.split('RETRY-EXIT ');
    expect(staleText).toContain('error: ECH_REQUIRED');
    expect(staleText).toContain('ECH: rejected (retry configs offered)');
    expect(staleText).toContain(`ECH retry configs: ${b64(keyB.list)}`);
    expect(rest3.slice(0, 1), out).toBe('0');
    const retried = staleText.split(`ECH retry configs: ${b64(keyB.list)}`)[1];
    expect(retried).toContain('ECH: accepted');
    const [grease, rest4] = rest3.split('GREASE-EXIT ');
    expect(rest4.slice(0, 1), out).toBe('0');
    expect(grease).toContain('ECH: grease');
    expect(bsslEchReports(run.server), out).toEqual(['yes', 'no', 'yes', 'no']);
  }, 200_000);
});

/**
 * Reads until the client goes, keeping what came. bssl-tool client closes TCP without a
 * close_notify at stdin EOF (docs/interop.md), so a truncation after its data ends the session
 * too; the test still sees what was received.
 */
const readAll: SessionHandler = async (tls, session) => {
  const reader = tls.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      session.received += new TextDecoder().decode(value);
    }
  } catch (error) {
    if (!(error instanceof TlsError && error.code === 'TRUNCATED')) throw error;
  }
  await tls.close();
};

/** Runs bssl-tool client until its handshake report (or an error), then ends its stdin. */
async function bsslClient(port: number, serverName: string, extra: string[]): Promise<Proc> {
  const client = startBsslClient({ port, serverName, extra });
  await client.waitFor(/Cert issuer:|Error|error/);
  client.write('from bssl\n');
  client.endStdin();
  await client.waitExit();
  return client;
}

describe.skipIf(!HAVE)('bssl-tool client -ech-config-list → webtls server', () => {
  let webtlsKey: EchKeyPair;
  let webtlsList: string;

  beforeAll(async () => {
    webtlsKey = await generateEchKey({ publicName: PUBLIC_NAME, configId: 21 });
    webtlsList = join(dir, 'webtls.list.bin');
    writeFileSync(webtlsList, encodeEchConfigList([webtlsKey.config]));
  });

  /** A server with both certificates (localhost, other.test) and `keys`. */
  async function server(keys: EchKeyPair[]) {
    return startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(otherCertFiles())],
        ech: { keys },
      },
      readAll,
    );
  }

  it('accept(): accepted with a generateEchKey key; inner and outer SNI seen', async () => {
    const s = await server([webtlsKey]);
    try {
      const client = await bsslClient(s.port, INNER_NAME, ['-ech-config-list', webtlsList]);
      expect(client.output).toContain('Encrypted ClientHello: yes');
      expect(client.output).toContain('Cert subject: CN = other.test');
      const session = await s.session(0);
      expect(session.error).toBeUndefined();
      expect(session.info?.ech).toBe('accepted');
      expect(session.info?.serverName).toBe(INNER_NAME);
      expect(session.info?.outerServerName).toBe(PUBLIC_NAME);
      expect(session.received).toBe('from bssl\n');
    } finally {
      await s.close();
    }
  });

  it('accept(): accepted across a HelloRetryRequest (the server wants P-256)', async () => {
    const s = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256')), await loadCert(otherCertFiles())],
        ech: { keys: [webtlsKey] },
        groups: [NamedGroup.secp256r1],
      },
      readAll,
    );
    try {
      const client = await bsslClient(s.port, INNER_NAME, ['-ech-config-list', webtlsList]);
      expect(client.output).toContain('Encrypted ClientHello: yes');
      expect(client.output).toContain('ECDHE curve: P-256');
      const session = await s.session(0);
      expect(session.info?.helloRetry).toBe(true);
      expect(session.info?.ech).toBe('accepted');
      expect(session.info?.serverName).toBe(INNER_NAME);
      expect(session.received).toBe('from bssl\n');
    } finally {
      await s.close();
    }
  });

  it('accept(): accepted with a key made by bssl-tool generate-ech', async () => {
    const key: EchKeyPair = {
      privateKey: new Uint8Array(readFileSync(keyA.key)),
      config: decodeEchConfigList(new Uint8Array(readFileSync(keyA.list)))[0],
    };
    const s = await server([webtlsKey, key]);
    try {
      const client = await bsslClient(s.port, INNER_NAME, ['-ech-config-list', keyA.list]);
      expect(client.output).toContain('Encrypted ClientHello: yes');
      const session = await s.session(0);
      expect(session.info?.ech).toBe('accepted');
      expect(session.info?.serverName).toBe(INNER_NAME);
      expect(session.info?.outerServerName).toBe(PUBLIC_NAME);
    } finally {
      await s.close();
    }
  });

  it('a config for a key the server does not hold: bssl-tool fails with ECH_REJECTED', async () => {
    const s = await server([webtlsKey]);
    try {
      const client = await bsslClient(s.port, INNER_NAME, ['-ech-config-list', keyA.list]);
      // BoringSSL checked the retry handshake against the public name and stops there, sending
      // ech_required (§6.1.6); bssl-tool does not retry.
      expect(client.output).toContain('ECH_REJECTED');
      const session = await s.session(0);
      expect(String(session.error)).toMatch(/ech_required/);
      // The alert can come before the server's handshake completes (then there is no info):
      // BoringSSL may send it in place of its Finished.
      if (session.info)
        expect(session.info).toMatchObject({ ech: 'rejected', serverName: 'localhost' });
    } finally {
      await s.close();
    }
  });

  it('bssl-tool client -ech-grease: an ordinary handshake with a server holding keys', async () => {
    const s = await server([webtlsKey]);
    try {
      const client = await bsslClient(s.port, PUBLIC_NAME, ['-ech-grease']);
      expect(client.output).toContain('Encrypted ClientHello: no');
      expect(client.output).toContain('Cert subject: CN = localhost');
      const session = await s.session(0);
      expect(session.error).toBeUndefined();
      // Offered and not accepted: the server answered with retry configs (§7.1).
      expect(session.info?.ech).toBe('rejected');
      expect(session.info?.serverName).toBe(PUBLIC_NAME);
      expect(session.received).toBe('from bssl\n');
    } finally {
      await s.close();
    }
  });
});

describe.skipIf(!HAVE)('bssl-tool client → webtls s_server -ech_key', () => {
  const p256 = certFiles('p256');
  const other = otherCertFiles();
  const certArgs = ['-cert', p256.chain, '-key', p256.key, '-cert2', other.chain];
  certArgs.push('-key2', other.key);

  /** Starts s_server with `keyFiles`, runs bssl-tool client with `extra`, returns both outputs. */
  async function exchange(keyFiles: string[], serverName: string, extra: string[]) {
    const cli = await startWebtlsServerCli([
      ...certArgs,
      ...keyFiles.flatMap((f) => ['-ech_key', f]),
    ]);
    try {
      const client = await bsslClient(cli.port, serverName, extra);
      await cli.proc.waitFor(/ECH: .*\n/, { stream: 'stderr' });
      return { client: client.output, server: cli.proc.stderr };
    } finally {
      cli.proc.kill();
    }
  }

  it('a key file from echKeyToPem: accepted; summary shows SNI and Outer SNI', async () => {
    const key = await generateEchKey({ publicName: PUBLIC_NAME, configId: 31 });
    const retired = await generateEchKey({ publicName: PUBLIC_NAME, configId: 32 });
    const files = [join(dir, 'retired.pem'), join(dir, 'current.pem')];
    writeFileSync(files[0], echKeyToPem(retired), { mode: 0o600 });
    writeFileSync(files[1], echKeyToPem(key), { mode: 0o600 });
    const list = join(dir, 'current.list.bin');
    writeFileSync(list, encodeEchConfigList([key.config]));
    // Two -ech_key flags: the second key is the one the client's config names.
    const { client, server } = await exchange(files, INNER_NAME, ['-ech-config-list', list]);
    expect(client).toContain('Encrypted ClientHello: yes');
    expect(server).toMatch(/SNI: other\.test\nOuter SNI: localhost\n/);
    expect(server).toContain('ECH: accepted');
  });

  it('-ech-grease: the summary says rejected with retry configs offered', async () => {
    const key = await generateEchKey({ publicName: PUBLIC_NAME, configId: 33 });
    const file = join(dir, 'grease.pem');
    writeFileSync(file, echKeyToPem(key), { mode: 0o600 });
    const { client, server } = await exchange([file], PUBLIC_NAME, ['-ech-grease']);
    expect(client).toContain('Encrypted ClientHello: no');
    expect(server).toContain('ECH: rejected (retry configs offered)');
    expect(server).not.toContain('Outer SNI:');
  });

  it('keys from the `webtls ech` command', async () => {
    const file = join(dir, 'cli-ech.pem');
    const made = await runProc(WEBTLS_BIN, ['ech', '-public_name', PUBLIC_NAME, '-out', file]);
    expect(made.code, made.output).toBe(0);
    const list = join(dir, 'cli-ech.list.bin');
    writeFileSync(list, Buffer.from(made.stdout.trim(), 'base64'));
    expect(toBase64(new Uint8Array(readFileSync(list)))).toBe(made.stdout.trim());
    const { client, server } = await exchange([file], INNER_NAME, ['-ech-config-list', list]);
    expect(client).toContain('Encrypted ClientHello: yes');
    expect(server).toMatch(/SNI: other\.test\nOuter SNI: localhost\n/);
    expect(server).toContain('ECH: accepted');
  });

  it('refuses an -ech_key file that is not an ECH key file', async () => {
    const run = await runProc(WEBTLS_BIN, ['s_server', ...certArgs, '-ech_key', p256.key]);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toContain('-ech_key');
  });
});

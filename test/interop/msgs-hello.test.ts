import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkClientHelloMandatory,
  decodeClientHello,
  encodeClientHello,
  offersTls13,
} from '../../src/msgs/client-hello.ts';
import {
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SignatureScheme,
} from '../../src/msgs/enums.ts';
import { checkAllowed, checkOffered } from '../../src/msgs/extensions/allowed.ts';
import { decodeAlpn, encodeAlpn } from '../../src/msgs/extensions/alpn.ts';
import { type Extension, findExtension } from '../../src/msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
} from '../../src/msgs/extensions/key-share.ts';
import { encodePskKeyExchangeModes } from '../../src/msgs/extensions/psk-key-exchange-modes.ts';
import { decodeServerName, encodeServerName } from '../../src/msgs/extensions/server-name.ts';
import { encodeSignatureSchemes } from '../../src/msgs/extensions/signature-algorithms.ts';
import {
  decodeSupportedGroups,
  encodeSupportedGroups,
} from '../../src/msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
} from '../../src/msgs/extensions/supported-versions.ts';
import {
  encodeHandshake,
  HandshakeJoiner,
  type HandshakeMessage,
} from '../../src/msgs/handshake.ts';
import { decodeServerHello, isHelloRetryRequest } from '../../src/msgs/server-hello.ts';
import { utf8 } from '../../src/util/bytes.ts';

/*
 * Real peers, in both directions: ClientHellos written by openssl s_client and gnutls-cli are
 * decoded (and re-encoded byte for byte), and a ClientHello written by this codec is sent to
 * openssl s_server, whose ServerHello / HelloRetryRequest is decoded. Loopback only; every wait
 * is bounded and every process is stopped.
 */

const TIMEOUT_MS = 10_000;

function has(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Reads TLS records from a socket and resolves with the first complete handshake message. */
function firstHandshakeMessage(socket: Socket): Promise<HandshakeMessage> {
  return new Promise((resolve, reject) => {
    const joiner = new HandshakeJoiner();
    let buf = new Uint8Array(0);
    const timer = setTimeout(() => reject(new Error('no handshake message in time')), TIMEOUT_MS);
    const done = (err: Error | undefined, msg?: HandshakeMessage) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (err) reject(err);
      else resolve(msg!);
    };
    socket.on('error', (e) => done(e));
    socket.on('close', () => done(new Error('closed before a handshake message')));
    socket.on('data', (chunk: Uint8Array) => {
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      try {
        while (buf.length >= 5) {
          const len = (buf[3] << 8) | buf[4];
          if (buf.length < 5 + len) break;
          if (buf[0] !== ContentType.handshake) throw new Error(`record type ${buf[0]}`);
          joiner.push(buf.subarray(5, 5 + len));
          buf = buf.subarray(5 + len);
          const msg = joiner.next();
          if (msg) return done(undefined, msg);
        }
      } catch (e) {
        done(e as Error);
      }
    });
  });
}

/** Listens on 127.0.0.1, runs `client(port)`, and returns the first message it sends. */
async function captureClientHello(
  client: (port: number) => ChildProcess,
): Promise<HandshakeMessage> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  let proc: ChildProcess | undefined;
  let socket: Socket | undefined;
  try {
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    proc = client(port);
    socket = await accepted;
    return await firstHandshakeMessage(socket);
  } finally {
    socket?.destroy();
    proc?.kill();
    await new Promise((r) => server.close(r));
  }
}

function checkRealClientHello(msg: HandshakeMessage, host: string) {
  expect(msg.type).toBe(HandshakeType.client_hello);
  const ch = decodeClientHello(msg.body);
  // A byte-exact round trip of a hello this codec did not write.
  expect(encodeClientHello(ch)).toEqual(msg.body);
  expect(ch.random.length).toBe(32);
  expect(offersTls13(ch)).toBe(true);
  expect(() => checkAllowed(HandshakeType.client_hello, ch.extensions)).not.toThrow();
  expect(() => checkClientHelloMandatory(ch)).not.toThrow();
  const sni = findExtension(ch.extensions, ExtensionType.server_name);
  expect(decodeServerName(sni!)).toBe(host);
  const versions = decodeSupportedVersionsClient(
    findExtension(ch.extensions, ExtensionType.supported_versions)!,
  );
  expect(versions).toContain(ProtocolVersion.TLSv1_3);
  const shares = decodeKeyShareClientHello(findExtension(ch.extensions, ExtensionType.key_share)!);
  expect(shares.length).toBeGreaterThan(0);
  const groups = decodeSupportedGroups(
    findExtension(ch.extensions, ExtensionType.supported_groups)!,
  );
  for (const share of shares) expect(groups).toContain(share.group);
  return ch;
}

describe.skipIf(!has('openssl'))('ClientHello from openssl s_client', () => {
  it('decodes, checks and re-encodes byte for byte', async () => {
    const msg = await captureClientHello((port) =>
      spawn(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${port}`,
          '-servername',
          'interop.example',
          '-alpn',
          'h2,http/1.1',
          '-groups',
          'X25519:P-256',
        ],
        { stdio: ['pipe', 'ignore', 'ignore'] },
      ),
    );
    const ch = checkRealClientHello(msg, 'interop.example');
    expect(ch.legacySessionId.length).toBe(32); // middlebox compatibility mode (§D.4)
    const alpn = decodeAlpn(
      findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation)!,
    );
    expect(alpn).toEqual([utf8('h2'), utf8('http/1.1')]);
    const groups = decodeSupportedGroups(
      findExtension(ch.extensions, ExtensionType.supported_groups)!,
    );
    expect(groups).toEqual([NamedGroup.x25519, NamedGroup.secp256r1]);
    const shares = decodeKeyShareClientHello(
      findExtension(ch.extensions, ExtensionType.key_share)!,
    );
    expect(shares[0].group).toBe(NamedGroup.x25519);
    expect(shares[0].keyExchange.length).toBe(32);
  });
});

describe.skipIf(!has('gnutls-cli'))('ClientHello from gnutls-cli', () => {
  it('decodes, checks and re-encodes byte for byte', async () => {
    const msg = await captureClientHello((port) =>
      spawn(
        'gnutls-cli',
        ['--insecure', '--sni-hostname', 'gnutls.example', '-p', String(port), '127.0.0.1'],
        {
          stdio: ['pipe', 'ignore', 'ignore'],
        },
      ),
    );
    checkRealClientHello(msg, 'gnutls.example');
  });
});

describe.skipIf(!has('openssl'))('ServerHello from openssl s_server', () => {
  let dir: string;
  let cert: string;
  let key: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webtls-msgs-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      { stdio: 'ignore' },
    );
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts s_server on a free loopback port, sends our ClientHello, returns its first reply. */
  async function exchange(serverArgs: string[], extensions: Extension[]) {
    const proc = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        '127.0.0.1:0',
        '-cert',
        cert,
        '-key',
        key,
        '-naccept',
        '1',
        ...serverArgs,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let socket: Socket | undefined;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('s_server did not start')), TIMEOUT_MS);
        let out = '';
        proc.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        proc.once('exit', () => reject(new Error(`s_server exited: ${out}`)));
      });
      socket = createConnection({ host: '127.0.0.1', port });
      const ch = {
        legacyVersion: ProtocolVersion.TLSv1_2,
        random: crypto.getRandomValues(new Uint8Array(32)),
        legacySessionId: crypto.getRandomValues(new Uint8Array(32)),
        cipherSuites: [
          0x2a2a,
          CipherSuite.TLS_AES_128_GCM_SHA256,
          CipherSuite.TLS_AES_256_GCM_SHA384,
        ],
        legacyCompressionMethods: Uint8Array.of(0),
        extensions,
      };
      const raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(ch));
      const record = new Uint8Array(5 + raw.length);
      record.set([ContentType.handshake, 3, 1, raw.length >> 8, raw.length & 0xff]);
      record.set(raw, 5);
      const reply = firstHandshakeMessage(socket);
      socket.write(record);
      const msg = await reply;
      expect(msg.type).toBe(HandshakeType.server_hello);
      const sh = decodeServerHello(msg.body);
      expect(sh.legacySessionId).toEqual(ch.legacySessionId);
      expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
      const isHrr = isHelloRetryRequest(sh);
      expect(() =>
        checkAllowed(HandshakeType.server_hello, sh.extensions, { isHrr }),
      ).not.toThrow();
      expect(() =>
        checkOffered(
          extensions.map((e) => e.type),
          sh.extensions,
          { isHrr },
        ),
      ).not.toThrow();
      const version = findExtension(sh.extensions, ExtensionType.supported_versions);
      expect(decodeSupportedVersionsServer(version!)).toBe(ProtocolVersion.TLSv1_3);
      return sh;
    } finally {
      socket?.destroy();
      proc.kill();
    }
  }

  function helloExtensions(shareGroups: number[]): Extension[] {
    const shares = shareGroups.map((group) => {
      expect(group).toBe(NamedGroup.x25519);
      return { group, keyExchange: x25519.getPublicKey(x25519.utils.randomSecretKey()) };
    });
    return [
      { type: 0x1a1a, data: new Uint8Array(0) },
      { type: ExtensionType.server_name, data: encodeServerName('localhost') },
      {
        type: ExtensionType.supported_groups,
        data: encodeSupportedGroups([NamedGroup.x25519, NamedGroup.secp256r1]),
      },
      {
        type: ExtensionType.signature_algorithms,
        data: encodeSignatureSchemes([
          SignatureScheme.ecdsa_secp256r1_sha256,
          SignatureScheme.rsa_pss_rsae_sha256,
        ]),
      },
      {
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpn([utf8('h2')]),
      },
      {
        type: ExtensionType.supported_versions,
        data: encodeSupportedVersionsClient([0x5a5a, ProtocolVersion.TLSv1_3]),
      },
      {
        type: ExtensionType.psk_key_exchange_modes,
        data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke]),
      },
      { type: ExtensionType.key_share, data: encodeKeyShareClientHello(shares) },
    ];
  }

  it('accepts our ClientHello and answers with a ServerHello we decode', async () => {
    const sh = await exchange([], helloExtensions([NamedGroup.x25519]));
    expect(isHelloRetryRequest(sh)).toBe(false);
    const share = decodeKeyShareServerHello(findExtension(sh.extensions, ExtensionType.key_share)!);
    expect(share.group).toBe(NamedGroup.x25519);
    expect(share.keyExchange.length).toBe(32);
  });

  it('answers a ClientHello without a usable key share with a HelloRetryRequest', async () => {
    const sh = await exchange(['-groups', 'P-256'], helloExtensions([NamedGroup.x25519]));
    expect(isHelloRetryRequest(sh)).toBe(true);
    const group = decodeKeyShareHelloRetryRequest(
      findExtension(sh.extensions, ExtensionType.key_share)!,
    );
    expect(group).toBe(NamedGroup.secp256r1);
  });
});

/**
 * Captures the fuzz seed corpus (test/fuzz/corpus/<target>/) from real handshakes between webtls
 * and interop peers: a node:net proxy on 127.0.0.1 records both directions of each connection;
 * the streams are split into records and the plaintext handshake messages into messages.
 * `openssl -msg` adds the messages TLS 1.3 encrypts (it prints every handshake message in the
 * clear), so EncryptedExtensions, Certificate, CertificateVerify and the rest are real too.
 *
 * Usage: npx tsx scripts/fuzz-capture.ts   (needs test/pki/out: bash scripts/gen-test-pki.sh)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certifiedKeyFromPem } from '../src/certified-key.ts';
import { parseGroups } from '../src/cli/names.ts';
import { defaultProvider } from '../src/crypto/index.ts';
import { encodeInner } from '../src/ech/inner.ts';
import { decodeCertificate } from '../src/msgs/certificate.ts';
import { decodeCertificate12 } from '../src/msgs/certificate12.ts';
import { decodeClientHello } from '../src/msgs/client-hello.ts';
import { decodeEncryptedExtensions } from '../src/msgs/encrypted-extensions.ts';
import { ContentType, HandshakeType } from '../src/msgs/enums.ts';
import type { Extension } from '../src/msgs/extensions/extension.ts';
import { HandshakeJoiner } from '../src/msgs/handshake.ts';
import { decodeServerHello } from '../src/msgs/server-hello.ts';
import { listen, tcpTransport } from '../src/node/index.ts';
import { MemorySessionStore } from '../src/sessions/memory-store.ts';
import { encodeStoredSession, type StoredSession } from '../src/sessions/stored-session.ts';
import { AeadTicketer } from '../src/sessions/ticketer.ts';
import { accept, type ConnectOptions, connect } from '../src/streams/index.ts';
import { pemBlocks } from '../src/util/pem.ts';
import { type Proc, startProc } from '../test/interop/peers/proc.ts';

const REPO = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const PKI = join(REPO, 'test/pki/out');
const CORPUS = join(REPO, 'test/fuzz/corpus');
/** Bytes of each direction kept as a deframer seed. */
const STREAM_SEED_BYTES = 4096;
const WAIT_MS = 10_000;

const written = new Set<string>();
let total = 0;

/** Writes one seed file unless the same bytes are already in that target's directory. */
function save(target: string, name: string, bytes: Uint8Array): void {
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const key = `${target}/${digest}`;
  if (written.has(key)) return;
  written.add(key);
  mkdirSync(join(CORPUS, target), { recursive: true });
  writeFileSync(join(CORPUS, target, `${name}-${digest}.bin`), bytes);
  total += bytes.length;
}

/** Extension seeds are the type (u16) followed by extension_data. */
function saveExtensions(peer: string, where: string, extensions: readonly Extension[]): void {
  for (const ext of extensions) {
    const seed = new Uint8Array(2 + ext.data.length);
    seed[0] = ext.type >> 8;
    seed[1] = ext.type & 0xff;
    seed.set(ext.data, 2);
    save('extensions', `${peer}-${where}-${ext.type}`, seed);
  }
}

const TYPE_NAMES = new Map(Object.entries(HandshakeType).map(([k, v]) => [v as number, k]));

/** Saves one framed handshake message and what it holds (extensions, certificates). */
function saveHandshake(peer: string, raw: Uint8Array): void {
  const type = raw[0];
  const body = raw.subarray(4);
  const name = TYPE_NAMES.get(type) ?? `type${type}`;
  save('handshake', `${peer}-${name}`, raw);
  try {
    if (type === HandshakeType.client_hello) {
      const ch = decodeClientHello(body);
      saveExtensions(peer, name, ch.extensions);
      // An encoded ClientHelloInner as the ECH target would see it (§5.1): this hello with its
      // key_share and supported_groups compressed to ech_outer_extensions, padded.
      const compress = ch.extensions.map((e) => e.type).filter((t) => t === 51 || t === 10);
      save('ech-inner', `${peer}-inner`, encodeInner(ch, compress, 32, 'localhost'));
    } else if (type === HandshakeType.server_hello) {
      saveExtensions(peer, name, decodeServerHello(body).extensions);
    } else if (type === HandshakeType.encrypted_extensions) {
      saveExtensions(peer, name, decodeEncryptedExtensions(body).extensions);
    } else if (type === HandshakeType.certificate) {
      let ders: Uint8Array[];
      try {
        ders = decodeCertificate(body).entries.map((e) => e.data);
      } catch {
        ders = decodeCertificate12(body);
      }
      for (const der of ders) save('certificate', `${peer}-cert`, der);
    }
  } catch (e) {
    console.error(`  (${peer} ${name} did not decode: ${(e as Error).message})`);
  }
}

/** Splits a recorded stream into records; returns the plaintext handshake messages. */
function splitStream(peer: string, dir: string, stream: Uint8Array): void {
  if (stream.length === 0) return;
  save('deframer', `${peer}-${dir}`, stream.subarray(0, STREAM_SEED_BYTES));
  const joiner = new HandshakeJoiner();
  for (let at = 0; at + 5 <= stream.length; ) {
    const length = (stream[at + 3] << 8) | stream[at + 4];
    const type = stream[at];
    if (at + 5 + length > stream.length) break;
    // Only the records before the first ChangeCipherSpec or protected record are plaintext.
    if (type !== ContentType.handshake) break;
    joiner.push(stream.subarray(at + 5, at + 5 + length));
    for (let m = joiner.next(); m; m = joiner.next()) saveHandshake(`${peer}-${dir}`, m.raw);
    at += 5 + length;
  }
}

/** Handshake messages from `openssl -msg` output (sent `>>>` and received `<<<`, decrypted). */
function splitOpensslMsg(peer: string, output: string): void {
  const lines = output.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(>>>|<<<) TLS [\d.]+, Handshake \[length ([0-9a-f]+)\]/.exec(lines[i]);
    if (!m) continue;
    const want = Number.parseInt(m[2], 16);
    const hex: string[] = [];
    for (let j = i + 1; j < lines.length && /^ {4}[0-9a-f]{2}( |$)/.test(lines[j]); j++) {
      hex.push(...lines[j].trim().split(/\s+/));
    }
    if (hex.length !== want) continue;
    const raw = Uint8Array.from(hex.map((h) => Number.parseInt(h, 16)));
    saveHandshake(`${peer}-${m[1] === '>>>' ? 'sent' : 'recv'}`, raw);
  }
}

/** A recording proxy from a free loopback port to `targetPort`. */
interface Tap {
  port: number;
  /** Client-to-server and server-to-client bytes of every connection, in order. */
  connections: { c2s: Buffer[]; s2c: Buffer[] }[];
  close(): Promise<void>;
}

async function startTap(targetPort: number): Promise<Tap> {
  const connections: Tap['connections'] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const record = { c2s: [] as Buffer[], s2c: [] as Buffer[] };
    connections.push(record);
    const upstream = netConnect(targetPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.on('data', (d: Buffer) => {
      record.c2s.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      record.s2c.push(d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no tap address');
  return {
    port: address.port,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function saveTap(peer: string, tap: Tap): void {
  for (const c of tap.connections) {
    splitStream(peer, 'c2s', new Uint8Array(Buffer.concat(c.c2s)));
    splitStream(peer, 's2c', new Uint8Array(Buffer.concat(c.s2c)));
  }
}

function pemText(path: string): string {
  return readFileSync(path, 'utf8');
}

async function waitExit(proc: Proc): Promise<void> {
  await proc.waitExit(WAIT_MS).catch(() => proc.kill());
}

/** A client session store that also keeps each session it is given as a `sessions` seed. */
class RecordingStore extends MemorySessionStore {
  constructor(private readonly peer: string) {
    super();
  }

  override async put(key: string, session: StoredSession): Promise<void> {
    save('sessions', `${this.peer}-client`, encodeStoredSession(session));
    return super.put(key, session);
  }
}

/** A ticketer that keeps the server state it seals (before sealing) as a `sessions` seed. */
class RecordingTicketer extends AeadTicketer {
  constructor(private readonly peer: string) {
    super();
  }

  override seal(state: Uint8Array, provider: Parameters<AeadTicketer['seal']>[1]) {
    save('sessions', `${this.peer}-server`, state);
    return super.seal(state, provider);
  }
}

/** webtls client → tap → `openssl s_server -msg`. */
async function webtlsToOpenssl(
  name: string,
  serverArgs: string[],
  options: Partial<ConnectOptions>,
) {
  const dir = join(PKI, options.maxVersion === 'TLSv1.2' ? 'rsa2048' : 'p256');
  const server = startProc('openssl', [
    's_server',
    '-accept',
    '127.0.0.1:0',
    '-msg',
    '-www',
    '-cert',
    join(dir, 'leaf.pem'),
    '-cert_chain',
    join(dir, 'inter.pem'),
    '-key',
    join(dir, 'key.pem'),
    ...serverArgs,
  ]);
  try {
    const port = Number(
      (await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, { stream: 'stdout' }))[1],
    );
    const tap = await startTap(port);
    const tls = connect(await tcpTransport('127.0.0.1', tap.port), {
      serverName: 'localhost',
      roots: [pemText(join(PKI, 'root.pem'))],
      sessionStore: new RecordingStore(name),
      ...options,
    });
    try {
      await tls.opened;
      const writer = tls.writable.getWriter();
      await writer.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
      const reader = tls.readable.getReader();
      const deadline = Date.now() + WAIT_MS;
      while (Date.now() < deadline && !(await reader.read()).done);
    } catch (e) {
      console.error(`  ${name}: ${(e as Error).message}`);
    } finally {
      await tls.close();
    }
    await tap.close();
    saveTap(name, tap);
    splitOpensslMsg(`${name}-openssl`, server.stdout);
  } finally {
    server.kill();
    await waitExit(server);
  }
}

/** A peer client → tap → in-process webtls server (TLS 1.2 and 1.3, p256). */
async function clientToWebtls(name: string, command: string, args: (port: number) => string[]) {
  const dir = join(PKI, 'p256');
  const key = await certifiedKeyFromPem(
    pemText(join(dir, 'chain.pem')),
    pemText(join(dir, 'key.pem')),
    defaultProvider(),
  );
  const listener = await listen(0, '127.0.0.1', (transport) => {
    const tls = accept(transport, {
      certificates: [key],
      alpnProtocols: ['http/1.1'],
      ticketer: new RecordingTicketer(name),
    });
    void (async () => {
      try {
        await tls.opened;
        const w = tls.writable.getWriter();
        await w.write(new TextEncoder().encode('hello\n'));
        await w.close();
      } catch {
        // The corpus is what crossed the wire; a peer that stops early still left its hello.
      } finally {
        await tls.close().catch(() => undefined);
      }
    })();
  });
  const tap = await startTap(listener.port);
  const proc = startProc(command, args(tap.port));
  proc.endStdin();
  await waitExit(proc);
  proc.kill();
  await tap.close();
  await listener.close();
  saveTap(name, tap);
  if (command === 'openssl') splitOpensslMsg(`${name}-openssl`, proc.stdout);
}

/** ECHConfigLists from `bssl-tool generate-ech` and `webtls ech`. */
function captureEchConfigs(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'webtls-fuzz-ech-'));
  try {
    for (const [id, name, len] of [
      ['1', 'public.example', '0'],
      ['7', 'ech.test', '64'],
    ]) {
      const list = join(tmp, `list-${id}`);
      execFileSync('bssl-tool', [
        'generate-ech',
        '-out-ech-config-list',
        list,
        '-out-ech-config',
        join(tmp, `cfg-${id}`),
        '-out-private-key',
        join(tmp, `key-${id}`),
        '-public-name',
        name,
        '-config-id',
        id,
        '-max-name-length',
        len,
      ]);
      save('ech-config', `bssl-${id}`, new Uint8Array(readFileSync(list)));
    }
    const out = join(tmp, 'webtls.pem');
    const printed = execFileSync(join(REPO, 'bin/webtls'), [
      'ech',
      '-public_name',
      'webtls.test',
      '-out',
      out,
    ]).toString();
    const b64 = /^[A-Za-z0-9+/=]{40,}$/m.exec(printed);
    if (b64) save('ech-config', 'webtls', new Uint8Array(Buffer.from(b64[0], 'base64')));
  } catch (e) {
    console.error(`  ech configs: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** CRLs made by `openssl ca` for the test PKI (scripts/gen-test-pki.sh). */
function captureCrls(): void {
  const dir = join(PKI, 'crl');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.crl.pem'))) {
    for (const block of pemBlocks(pemText(join(dir, file)))) {
      save('crl', file.replace('.crl.pem', ''), block.der);
    }
  }
}

async function main(): Promise<void> {
  rmSync(CORPUS, { recursive: true, force: true });
  const x25519First = { groups: parseGroups(['X25519', 'P-384']), keyShares: 1 };
  await webtlsToOpenssl('openssl13', ['-tls1_3'], {});
  await webtlsToOpenssl('openssl13-hrr', ['-tls1_3', '-groups', 'P-384'], x25519First);
  await webtlsToOpenssl('openssl13-certreq', ['-tls1_3', '-verify', '1'], {});
  await webtlsToOpenssl('openssl12', ['-tls1_2'], { maxVersion: 'TLSv1.2' });
  const sclient = (v: string) => (port: number) => [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-msg',
    '-alpn',
    'http/1.1',
    '-sess_out',
    '/dev/null',
    v,
  ];
  await clientToWebtls('sclient13', 'openssl', sclient('-tls1_3'));
  await clientToWebtls('sclient12', 'openssl', sclient('-tls1_2'));
  await clientToWebtls('gnutls', 'gnutls-cli', (port) => [
    '--insecure',
    '-p',
    String(port),
    '--sni-hostname',
    'localhost',
    '127.0.0.1',
  ]);
  await clientToWebtls('nss', 'tstclnt', (port) => ['-h', '127.0.0.1', '-p', String(port), '-o']);
  await clientToWebtls('bssl', 'bssl-tool', (port) => [
    'client',
    '-connect',
    `127.0.0.1:${port}`,
    '-server-name',
    'localhost',
  ]);
  captureEchConfigs();
  captureCrls();
  for (const target of readdirSync(CORPUS).sort()) {
    console.log(`${target}: ${readdirSync(join(CORPUS, target)).length} files`);
  }
  console.log(`corpus: ${written.size} files, ${total} bytes`);
}

await main();

/**
 * A webtls server (listen + streams) against floods from raw-socket attackers and from a real
 * webtls client that misbehaves after a real handshake. Each flood must end with the alert its
 * cap names, at the bound, with the engine holding at most the cap, while a well-behaved client
 * served at the same time completes its handshake within twice a baseline measured here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertifiedKey } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import {
  Alert,
  type AttackedServer,
  CT,
  clientConfig,
  DrivenClient,
  handshakeBound,
  oneByteHandshakeRecords,
  plaintextAlert,
  RawSocket,
  record,
  type ServedConnection,
  sleep,
  startAttackedServer,
  timedHandshake,
} from './peers/dos.ts';
import { certFiles } from './peers/pki.ts';
import { loadCert } from './peers/webtls.ts';

let cert: CertifiedKey;
/** Default limits and stream options. */
let server: AttackedServer;
/** maxHandshakeBytes 4096 and a 1 s handshake timeout. */
let tight: AttackedServer;

beforeAll(async () => {
  cert = await loadCert(certFiles('p256'));
  server = await startAttackedServer({ certificates: [cert] });
  tight = await startAttackedServer(
    { certificates: [cert], limits: { maxHandshakeBytes: 4096 } },
    { handshakeTimeoutMs: 1000 },
  );
});

afterAll(async () => {
  await server?.close();
  await tight?.close();
});

/**
 * Opens the attacker's connection with `open`, finds the server's side of it, then runs the
 * attack and a well-behaved handshake at the same time. Returns the attack's result, the
 * server's connection and how long the good handshake took against `bound`.
 */
async function underAttack<T, C>(
  target: AttackedServer,
  open: () => Promise<C>,
  attack: (peer: C) => Promise<T>,
): Promise<{ result: T; served: ServedConnection; goodMs: number; bound: number }> {
  const bound = await handshakeBound(target.port);
  const n = target.served.length;
  const peer = await open();
  const served = await target.connection(n);
  const [result, goodMs] = await Promise.all([
    attack(peer),
    sleep(5).then(() => timedHandshake(target.port)),
  ]);
  return { result, served, goodMs, bound };
}

/** Waits (bounded) for the server's side of a connection to end. */
async function ended(served: ServedConnection, ms = 5000): Promise<void> {
  await Promise.race([served.ended, sleep(ms)]);
  expect(served.endedAt, 'the server connection ended').toBeDefined();
}

/** A ClientHello as a real webtls client frames it (the handshake message, no record header). */
async function realClientHello(): Promise<Uint8Array> {
  const client = new ClientConnection(clientConfig(), { serverName: 'localhost' });
  await client.process();
  const out = client.takeTls()!;
  return out.subarray(5, 5 + ((out[3] << 8) | out[4]));
}

describe('DoS: webtls server under floods', () => {
  it('empty application-data records after the handshake: the 33rd in a row → unexpected_message', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      server,
      () => DrivenClient.connected(server.port),
      async (c) => {
        for (let i = 0; i < 40; i++) await c.sendRecord(CT.appData, new Uint8Array(0));
        return c.serverVerdict();
      },
    );
    expect(result?.code).toBe('PEER_ALERT');
    expect(result?.peerAlert).toBe(Alert.unexpected_message);
    await ended(served);
    expect(served.error?.code).toBe('UNEXPECTED_MESSAGE');
    expect(served.error?.message).toMatch(/empty records/);
    expect(served.peak.plaintext).toBe(0);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('32 empty records, then data: still served (the bound is exact)', async () => {
    const c = await DrivenClient.connect(server.port);
    await c.handshake();
    for (let i = 0; i < 32; i++) await c.sendRecord(CT.appData, new Uint8Array(0));
    await c.engine.write(new TextEncoder().encode('ping'));
    await c.flush();
    const deadline = performance.now() + 5000;
    let echoed = '';
    while (!echoed.includes('ping') && performance.now() < deadline) {
      await c.raw.waitData(deadline);
      c.engine.readTls(c.raw.take());
      await c.engine.process();
      echoed += new TextDecoder().decode(c.engine.read() ?? new Uint8Array(0));
    }
    expect(echoed).toBe('ping');
    c.raw.destroy();
  });

  it('a ClientHello dribbled in 1-byte records within the caps: the handshake completes', async () => {
    const hello = await realClientHello();
    const { served, goodMs, bound } = await underAttack(
      server,
      () => DrivenClient.connect(server.port),
      (c) => c.handshake(10_000, oneByteHandshakeRecords),
    );
    await Promise.race([served.ended, sleep(200)]);
    expect(served.handshakeDone).toBe(true);
    // The joiner never held more than the one message being reassembled.
    expect(served.peak.handshake).toBeLessThanOrEqual(hello.length + 64);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('1-byte handshake records beyond maxHandshakeBytes → decode_error, at most the cap held', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      tight,
      () => RawSocket.connect(tight.port),
      async (raw) => {
        // A ClientHello header declaring 61440 bytes (under maxHandshakeMessage), then 1-byte
        // records: each is legal, together they pass the 4096-byte total.
        const parts = [record(CT.handshake, [1, 0, 0xf0, 0])];
        for (let i = 0; i < 6000; i++) parts.push(record(CT.handshake, [0]));
        raw.send(Buffer.concat(parts));
        await raw.waitClosed(5000);
        return plaintextAlert(raw.bytes);
      },
    );
    expect(result).toBe(Alert.decode_error);
    await ended(served);
    expect(served.error?.code).toBe('DECODE_ERROR');
    expect(served.error?.message).toMatch(/maxHandshakeBytes/);
    expect(served.peak.handshake).toBeLessThanOrEqual(4096);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('a TLS 1.3 ChangeCipherSpec flood: the 5th → unexpected_message', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      server,
      () => DrivenClient.connect(server.port),
      async (c) => {
        await c.flush();
        for (let i = 0; i < 20; i++) c.raw.send(record(CT.ccs, [1]));
        return c.serverVerdict();
      },
    );
    expect(result?.code).toBe('PEER_ALERT');
    expect(result?.peerAlert).toBe(Alert.unexpected_message);
    await ended(served);
    expect(served.error?.code).toBe('UNEXPECTED_MESSAGE');
    expect(served.error?.message).toMatch(/ChangeCipherSpec/);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('4 ChangeCipherSpec records (the cap) are dropped and the handshake completes', async () => {
    const n = server.served.length;
    // Without middlebox compatibility the client sends no CCS of its own: these 4 are all.
    const c = await DrivenClient.connect(server.port, clientConfig({ middleboxCompat: false }));
    const served = await server.connection(n);
    await c.flush();
    for (let i = 0; i < 4; i++) c.raw.send(record(CT.ccs, [1]));
    await c.handshake();
    await sleep(50);
    expect(served.error).toBeUndefined();
    c.raw.destroy();
  });

  it('TLS 1.2 warning alerts: the 5th in a row → unexpected_message', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      server,
      () => DrivenClient.connect(server.port, clientConfig({ maxVersion: 'TLSv1.2' })),
      async (c) => {
        await c.flush();
        // Let the server negotiate TLS 1.2 before the warnings arrive.
        await c.raw.waitData(performance.now() + 5000);
        for (let i = 0; i < 20; i++) c.raw.send(record(CT.alert, [1, Alert.unrecognized_name]));
        return c.serverVerdict();
      },
    );
    expect(result?.code).toBe('PEER_ALERT');
    expect(result?.peerAlert).toBe(Alert.unexpected_message);
    await ended(served);
    expect(served.error?.code).toBe('UNEXPECTED_MESSAGE');
    expect(served.error?.message).toMatch(/warning alerts/);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('a KeyUpdate storm from a real client: the 33rd without data → unexpected_message', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      server,
      () => DrivenClient.connected(server.port),
      async (c) => {
        for (let i = 0; i < 40 && c.raw.closedAt === undefined; i++) {
          // update_not_requested: the server need not answer, so only its cap stops this.
          await c.engine.keyUpdate(false);
          await c.flush();
        }
        return c.serverVerdict();
      },
    );
    expect(result?.code).toBe('PEER_ALERT');
    expect(result?.peerAlert).toBe(Alert.unexpected_message);
    await ended(served);
    expect(served.error?.code).toBe('UNEXPECTED_MESSAGE');
    expect(served.error?.message).toMatch(/post-handshake/);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('a handshake header declaring 16 MB → decode_error at the header', async () => {
    const { result, served, goodMs, bound } = await underAttack(
      server,
      () => RawSocket.connect(server.port),
      async (raw) => {
        raw.send(record(CT.handshake, [1, 0xff, 0xff, 0xff, 3, 3]));
        await raw.waitClosed(5000);
        return plaintextAlert(raw.bytes);
      },
    );
    expect(result).toBe(Alert.decode_error);
    await ended(served);
    expect(served.error?.code).toBe('DECODE_ERROR');
    expect(served.peak.handshake).toBeLessThanOrEqual(16);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });

  it('a record header declaring 65535 bytes → record_overflow before the body arrives', async () => {
    const { result, served } = await underAttack(
      server,
      () => RawSocket.connect(server.port),
      async (raw) => {
        raw.send(Uint8Array.of(CT.handshake, 3, 3, 0xff, 0xff, 1, 0, 0));
        await raw.waitClosed(5000);
        return plaintextAlert(raw.bytes);
      },
    );
    expect(result).toBe(Alert.record_overflow);
    await ended(served);
    expect(served.error?.code).toBe('RECORD_OVERFLOW');
    expect(served.peak.records).toBeLessThanOrEqual(16);
  });

  it('slow-loris: a ClientHello byte every 150 ms → the handshake timeout closes it, no alert', async () => {
    const hello = record(CT.handshake, await realClientHello());
    let started = 0;
    const { result, served, goodMs, bound } = await underAttack(
      tight,
      () => {
        started = performance.now();
        return RawSocket.connect(tight.port);
      },
      async (raw) => {
        for (let i = 0; i < hello.length && raw.closedAt === undefined; i++) {
          raw.send(hello.subarray(i, i + 1));
          await sleep(150);
          if (performance.now() - started > 5000) break;
        }
        return raw;
      },
    );
    expect(result.closedAt, 'the server closed the connection').toBeDefined();
    const elapsed = (result.closedAt ?? 0) - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3000);
    expect(result.bytes.length).toBe(0);
    await ended(served);
    expect(served.error?.code).toBe('TRANSPORT');
    expect(served.error?.message).toMatch(/handshake not complete/);
    expect(goodMs).toBeLessThanOrEqual(bound);
  });
});

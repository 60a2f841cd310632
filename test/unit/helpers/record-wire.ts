import { expect } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../../src/config.ts';
import { ClientConnection } from '../../../src/conn/client.ts';
import { ServerConnection } from '../../../src/conn/server.ts';
import type { Connection } from '../../../src/conn/types.ts';
import { subtleProvider } from '../../../src/crypto/index.ts';
import { ContentType } from '../../../src/msgs/enums.ts';
import { parseRecord } from '../../../src/record/deframer.ts';
import * as certs from '../data/certs.ts';
import { certifiedKey } from './loopback.ts';

/**
 * A webtls client and server in memory, with every record that passes between them noted: what
 * the record-size tests (record_size_limit, padding) read off the wire.
 */

const provider = subtleProvider();
export type Version = 'TLSv1.3' | 'TLSv1.2';

/** Bytes of a protected AES-128-GCM record's fragment that are not RFC 8449 plaintext. */
const OVERHEAD: Record<Version, number> = { 'TLSv1.3': 16, 'TLSv1.2': 8 + 16 };

export interface Wire {
  /** [outer type, RFC 8449 plaintext length] of each protected record, per direction. */
  toServer: [number, number][];
  toClient: [number, number][];
  /** The first ClientHello record's bytes. */
  clientHello?: Uint8Array;
}

/**
 * Notes the protected records in `bytes` in `out`. TLS 1.2 handshake records are taken as
 * clear ones: the one protected handshake message, Finished, is not counted.
 */
function note(bytes: Uint8Array, version: Version, out: [number, number][]): void {
  for (let at = 0; at < bytes.length; ) {
    const r = parseRecord(bytes, at);
    if (!r) throw new Error('pump: a partial record');
    const isProtected =
      version === 'TLSv1.3'
        ? r.type === ContentType.application_data
        : r.type !== ContentType.change_cipher_spec && r.type !== ContentType.handshake;
    if (isProtected) out.push([r.type, r.fragment.length - OVERHEAD[version]]);
    at = r.end;
  }
}

/** Like loopback.ts's pump, noting the records on the way. */
export async function pumpNoting(
  c: Connection,
  s: Connection,
  wire: Wire,
  version: Version,
): Promise<void> {
  for (let round = 0; round < 50; round++) {
    await c.process();
    const fromC = c.takeTls();
    if (fromC) {
      wire.clientHello ??= fromC;
      note(fromC, version, wire.toServer);
      s.readTls(fromC);
    }
    await s.process();
    const fromS = s.takeTls();
    if (fromS) {
      note(fromS, version, wire.toClient);
      c.readTls(fromS);
    }
    if (!fromC && !fromS) return;
  }
  throw new Error('pump: still talking after 50 rounds');
}

/** A handshake between a client and a server with these config additions. */
export async function connectNoting(
  version: Version,
  clientExtra: Partial<ClientConfig> = {},
  serverExtra: Partial<ServerConfig> = {},
) {
  const server: ServerConfig = {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    maxVersion: version,
    ...serverExtra,
  };
  const client: ClientConfig = {
    provider,
    roots: [certs.caPem],
    maxVersion: version,
    sessionStore: null,
    ...clientExtra,
  };
  const c = new ClientConnection(client, { serverName: 'localhost' });
  const s = new ServerConnection(server);
  const wire: Wire = { toServer: [], toClient: [] };
  await pumpNoting(c, s, wire, version);
  expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  return { c, s, wire };
}

export function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 13 + (i >> 9)) & 0xff);
}

/** Writes `data` on `from` and collects it on `to`, whole and in order. */
export async function transfer(
  from: Connection,
  to: Connection,
  data: Uint8Array,
  wire: Wire,
  v: Version,
) {
  await from.write(data);
  const got: number[] = [];
  for (let i = 0; i < 20 && got.length < data.length; i++) {
    const [c, s] = from instanceof ClientConnection ? [from, to] : [to, from];
    await pumpNoting(c, s, wire, v);
    for (let chunk = to.read(); chunk; chunk = to.read()) got.push(...chunk);
  }
  expect(Uint8Array.from(got)).toEqual(data);
}

import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { ExtensionType } from '../../src/msgs/enums.ts';
import * as certs from './data/certs.ts';
import { connectNoting, pattern, transfer } from './helpers/record-wire.ts';

/**
 * RFC 8449 record_size_limit between a webtls client and server: advertised by default,
 * negotiated only when both hellos carry it, each side's protected records cut to the other's
 * limit (TLS 1.3 counting the content-type byte), a larger record refused with
 * record_overflow. Against GnuTLS: test/interop/record-size-limit-gnutls.test.ts.
 */

const provider = subtleProvider();

/** connectNoting with only the record_size_limit of each side set. */
function connect(
  version: 'TLSv1.3' | 'TLSv1.2',
  clientLimit?: number | false,
  serverLimit?: number | false,
) {
  return connectNoting(version, { recordSizeLimit: clientLimit }, { recordSizeLimit: serverLimit });
}

/** Whether the ClientHello carries record_size_limit (type 28, 0x001c) with `value`. */
function offers(clientHello: Uint8Array, value: number): boolean {
  const needle = [0x00, ExtensionType.record_size_limit, 0x00, 0x02, value >> 8, value & 0xff];
  for (let i = 0; i + needle.length <= clientHello.length; i++) {
    if (needle.every((b, j) => clientHello[i + j] === b)) return true;
  }
  return false;
}

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('record_size_limit (RFC 8449), %s', (v) => {
  const max = v === 'TLSv1.3' ? 16385 : 16384;

  it('is advertised and negotiated by default, with no limit below the protocol maximum', async () => {
    const { c, s, wire } = await connect(v);
    // A TLS 1.2-only hello carries 2^14, one that may still reach TLS 1.3 carries 2^14 + 1.
    expect(offers(wire.clientHello!, max)).toBe(true);
    expect(c.info.recordSizeLimit).toEqual({ sent: max, received: max });
    expect(s.info.recordSizeLimit).toEqual({ sent: max, received: max });
    await transfer(c, s, pattern(40_000), wire, v);
    expect(Math.max(...wire.toServer.map(([, n]) => n))).toBe(max);
  });

  it("cuts each side's records to the other's limit, the server's flight included", async () => {
    const { c, s, wire } = await connect(v, 100, 300);
    expect(c.info.recordSizeLimit).toEqual({ sent: 300, received: 100 });
    expect(s.info.recordSizeLimit).toEqual({ sent: 100, received: 300 });
    // TLS 1.3: the server's encrypted flight (its certificate alone is about 500 bytes) went
    // out in records of at most 100. TLS 1.2 sends its certificate in the clear, unlimited.
    if (v === 'TLSv1.3') expect(wire.toClient.length).toBeGreaterThan(5);
    await transfer(c, s, pattern(5000), wire, v);
    await transfer(s, c, pattern(3000), wire, v);
    expect(Math.max(...wire.toClient.map(([, n]) => n))).toBe(100);
    expect(Math.max(...wire.toServer.map(([, n]) => n))).toBe(300);
  });

  it('is not negotiated when either side has it off, and records keep full size', async () => {
    for (const [client, server] of [
      [false, 100],
      [100, false],
    ] as const) {
      const { c, s, wire } = await connect(v, client, server);
      expect(offers(wire.clientHello!, 100)).toBe(client === 100);
      expect(c.info.recordSizeLimit).toBeUndefined();
      expect(s.info.recordSizeLimit).toBeUndefined();
      await transfer(s, c, pattern(20_000), wire, v);
      expect(Math.max(...wire.toClient.map(([, n]) => n))).toBe(max);
    }
  });

  it('ends with record_overflow when the peer sends a record over our limit', async () => {
    const { c, s } = await connect(v, undefined, 200);
    // A peer that ignores the negotiated limit (reached through the engine's record layer).
    (
      c as unknown as { records: { setWriteFragmentLimit(n: number): void } }
    ).records.setWriteFragmentLimit(1000);
    await c.write(pattern(1000));
    await c.process();
    s.readTls(c.takeTls()!);
    const error = await s.process().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsError);
    expect(error).toMatchObject({ code: 'RECORD_OVERFLOW' });
    // The alert (record_overflow, 22) went out, and nothing of the record was delivered.
    const alert = s.takeTls();
    expect(alert).toBeDefined();
    c.readTls(alert!);
    await expect(c.process()).rejects.toMatchObject({ code: 'PEER_ALERT', peerAlert: 22 });
    expect(s.read()).toBeNull();
  });
});

describe('record_size_limit configuration', () => {
  it.each([63, 16386, 1000.5, -1])('refuses %s', async (value) => {
    const build = () =>
      new ClientConnection(
        { provider, roots: [certs.caPem], recordSizeLimit: value },
        { serverName: 'localhost' },
      );
    expect(build).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

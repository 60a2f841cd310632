import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import * as certs from './data/certs.ts';
import { connectNoting, pattern, transfer } from './helpers/record-wire.ts';

/**
 * TLS 1.3 record padding (RFC 8446 §5.4, `recordPadding`): every protected record a side sends
 * carries a TLSInnerPlaintext that is a multiple of the block, within the record size and the
 * peer's record_size_limit; the receiver strips it and the data arrives whole. Against OpenSSL:
 * test/interop/record-padding-openssl.test.ts.
 */

const provider = subtleProvider();

/** The inner plaintext lengths (RFC 8449's count) of the records noted. */
const inner = (records: [number, number][]) => records.map(([, n]) => n);

describe('record padding (RFC 8446 §5.4)', () => {
  it("pads each side's protected records to its own block, the server's flight included", async () => {
    const { c, s, wire } = await connectNoting(
      'TLSv1.3',
      { recordPadding: 100 },
      {
        recordPadding: 256,
      },
    );
    await transfer(c, s, pattern(1000), wire, 'TLSv1.3');
    await transfer(s, c, pattern(5), wire, 'TLSv1.3');
    await transfer(s, c, pattern(40_000), wire, 'TLSv1.3');
    const toClient = inner(wire.toClient);
    const toServer = inner(wire.toServer);
    // The encrypted flight, the tickets, a 5-byte reply and 40 KB in three records.
    expect(toClient.length).toBeGreaterThanOrEqual(5);
    // A multiple of the block, or the whole record (2^14 + 1) when the block would pass it.
    for (const n of toClient) expect(n % 256 === 0 || n === 16385, `${n}`).toBe(true);
    for (const n of toServer) expect(n % 100 === 0 || n === 16385, `${n}`).toBe(true);
    expect(toClient).toContain(256); // the 5-byte reply
  });

  it("stops at the peer's record_size_limit", async () => {
    const { c, s, wire } = await connectNoting(
      'TLSv1.3',
      { recordSizeLimit: 300 },
      { recordPadding: 256 },
    );
    await transfer(s, c, pattern(1000), wire, 'TLSv1.3');
    const toClient = inner(wire.toClient);
    expect(Math.max(...toClient)).toBe(300);
    for (const n of toClient) expect(n === 256 || n === 300, `${n}`).toBe(true);
  });

  it('does nothing in TLS 1.2, which has no padding', async () => {
    const { c, s, wire } = await connectNoting('TLSv1.2', {}, { recordPadding: 256 });
    await transfer(s, c, pattern(5), wire, 'TLSv1.2');
    expect(inner(wire.toClient)).toEqual([5]);
  });

  it('is off by default: records carry the content and its type byte only', async () => {
    const { c, s, wire } = await connectNoting('TLSv1.3');
    await transfer(s, c, pattern(5), wire, 'TLSv1.3');
    expect(inner(wire.toClient).at(-1)).toBe(6);
  });

  it.each([-1, 16385, 2.5])('refuses recordPadding %s', (value) => {
    const build = () =>
      new ClientConnection(
        { provider, roots: [certs.caPem], recordPadding: value },
        { serverName: 'localhost' },
      );
    expect(build).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

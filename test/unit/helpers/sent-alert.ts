import type { Connection } from '../../../src/conn/types.ts';
import type { CryptoProvider } from '../../../src/crypto/provider.ts';
import type { Tls13Suite } from '../../../src/crypto/suites.ts';
import { trafficKeys } from '../../../src/keyschedule/tls13.ts';
import { AlertLevel, ContentType } from '../../../src/msgs/enums.ts';
import { RecordOpener } from '../../../src/record/protection.ts';
import { concat, fromHex } from '../../../src/util/bytes.ts';
import { splitRecords } from './wire.ts';

/**
 * Reading back the fatal alert a TLS 1.3 connection sent when the alert went under a traffic
 * key (RFC 8446 §5.2, §6): the connection's whole output is kept, and its key-log lines give the
 * secrets to trial-decrypt it with.
 */

/** Keeps every byte `conn.takeTls()` hands out; the returned function gives them all so far. */
export function captureOutput(conn: Connection): () => Uint8Array {
  const sent: Uint8Array[] = [];
  const take = conn.takeTls.bind(conn);
  conn.takeTls = () => {
    const out = take();
    if (out) sent.push(out);
    return out;
  };
  return () => concat(...sent);
}

/**
 * The write secrets of one side in key-log lines (`LABEL <client_random> <secret>`): the
 * CLIENT_* or SERVER_* traffic secrets, in the order they were logged.
 */
export function writeSecrets(lines: readonly string[], side: 'CLIENT' | 'SERVER'): Uint8Array[] {
  return lines
    .map((l) => l.split(' '))
    .filter(([label]) => label.startsWith(`${side}_`) && label.includes('TRAFFIC_SECRET'))
    .map(([, , secret]) => fromHex(secret));
}

/**
 * The description of the last fatal alert in `wire`: in the clear, or under any of `secrets`
 * (each with its own sequence numbers, which only advance on records that open under it).
 */
export async function sentAlert(
  provider: CryptoProvider,
  suite: Tls13Suite,
  secrets: readonly Uint8Array[],
  wire: Uint8Array,
): Promise<number | undefined> {
  const openers = await Promise.all(
    secrets.map(async (secret) => {
      const { key, iv } = await trafficKeys(provider, suite.hash, secret, suite.keyLength);
      return new RecordOpener(await provider.aead(suite.aead, key), iv);
    }),
  );
  let alert: number | undefined;
  for (const r of splitRecords(wire)) {
    let type = r.type;
    let content = r.body;
    if (type === ContentType.application_data) {
      const header = new Uint8Array([type, 3, 3, r.body.length >> 8, r.body.length & 0xff]);
      let opened: { type: number; content: Uint8Array } | undefined;
      for (const opener of openers) {
        opened = await opener.tryOpen(header, r.body);
        if (opened) break;
      }
      if (!opened) continue;
      ({ type, content } = opened);
    }
    const fatal = type === ContentType.alert && content.length === 2;
    if (fatal && content[0] === AlertLevel.fatal) alert = content[1];
  }
  return alert;
}

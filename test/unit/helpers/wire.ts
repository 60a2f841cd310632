import { encodeHandshake, HandshakeJoiner } from '../../../src/msgs/handshake.ts';

/** One record as it is on the wire. */
export interface WireRecord {
  type: number;
  body: Uint8Array;
}

/** Splits a byte stream into records (no decryption). */
export function splitRecords(wire: Uint8Array): WireRecord[] {
  const out: WireRecord[] = [];
  let at = 0;
  while (at + 5 <= wire.length) {
    const length = (wire[at + 3] << 8) | wire[at + 4];
    out.push({ type: wire[at], body: wire.slice(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** Frames one record with version 0x0303. */
export function record(type: number, body: Uint8Array): Uint8Array {
  return new Uint8Array([type, 3, 3, body.length >> 8, body.length & 0xff, ...body]);
}

/** The handshake messages in the plaintext handshake records of `wire`, in order. */
export function plainHandshakes(wire: Uint8Array): { type: number; body: Uint8Array }[] {
  const joiner = new HandshakeJoiner();
  for (const r of splitRecords(wire)) if (r.type === 22) joiner.push(r.body);
  const out: { type: number; body: Uint8Array }[] = [];
  for (let m = joiner.next(); m; m = joiner.next())
    out.push({ type: m.type, body: m.body.slice() });
  return out;
}

/** One handshake record carrying the given messages. */
export function handshakeRecord(messages: { type: number; body: Uint8Array }[]): Uint8Array {
  const parts = messages.map((m) => encodeHandshake(m.type, m.body));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const body = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  return record(22, body);
}

/** The description of a plaintext fatal alert at the end of `wire`, if there is one. */
export function plainAlert(wire: Uint8Array | null): number | undefined {
  if (!wire || wire.length < 7) return undefined;
  const tail = wire.subarray(wire.length - 7);
  return tail[0] === 21 && tail[5] === 2 ? tail[6] : undefined;
}

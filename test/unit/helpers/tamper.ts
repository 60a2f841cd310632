import type { ConnectionCore } from '../../../src/conn/core.ts';
import { encodeHandshake } from '../../../src/msgs/handshake.ts';

/**
 * Rewrites a connection's outgoing handshake messages before they are framed and protected;
 * null drops one (the sender still keeps it in its transcript). For peers that misbehave inside
 * encrypted messages.
 */
export type Rewrite = (type: number, body: Uint8Array) => Uint8Array | null;

/** Installs `rewrite` on every handshake message `side` sends from now on. */
export function tamper(side: ConnectionCore, rewrite: Rewrite): void {
  const send = side.sendHandshake.bind(side);
  side.sendHandshake = async (type, body, label) => {
    const out = rewrite(type, body);
    if (out === null) return encodeHandshake(type, body);
    return send(type, out, label);
  };
}

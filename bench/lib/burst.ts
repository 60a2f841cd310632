/** The unit of work of the throughput scenarios: a burst of writes, some in flight at once. */
import type { BenchConn } from './contenders/types.ts';

/** Writes allowed to be unsettled at once. */
export const WINDOW = 32;
/** Bytes per burst. */
export const BURST = 512 * 1024;

/**
 * Sends BURST bytes from `client` in `chunk`-sized writes, WINDOW unsettled at once; resolves
 * once `server` has received them all. Returns the bytes sent.
 */
export async function burst(
  client: BenchConn,
  server: BenchConn,
  chunk: Uint8Array,
): Promise<number> {
  const writes = Math.ceil(BURST / chunk.byteLength);
  const arrived = server.read(writes * chunk.byteLength);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < writes; i++) {
    inFlight.push(client.write(chunk));
    if (inFlight.length >= WINDOW) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await arrived;
  return writes * chunk.byteLength;
}

import { ProtocolVersion } from '../../msgs/enums.ts';
import { type StoredSession, sessionUsable } from '../../sessions/stored-session.ts';
import type { ClientContext } from './context.ts';

/**
 * The client's side of resumption outside the handshake states, for both versions: choosing a
 * stored session to offer, and storing the ones a handshake produced.
 */

/** How many stored sessions the client looks at before giving up on resuming. */
const MAX_TAKES = 4;

/**
 * Takes a session from the store that this connection may offer, or undefined. Every session
 * looked at is removed (each is used at most once); ones that do not fit are dropped: a
 * version or suite no longer offered, expired, made for another name, TLS 1.2 without the
 * extended master secret (RFC 7627 §5.3: resuming such a session is the insecure legacy case),
 * or whose certificate chain the connection's own verifier no longer accepts (it may have
 * expired, or the session came from a config with other trust anchors).
 */
export async function takeSession(ctx: ClientContext): Promise<StoredSession | undefined> {
  const store = ctx.sessionStore;
  if (!store) return undefined;
  for (let i = 0; i < MAX_TAKES; i++) {
    let session: StoredSession | undefined;
    try {
      session = await store.take(ctx.verifyName);
    } catch (error) {
      ctx.conn.emit('state', 'session store failed', { error: String(error) });
      return undefined;
    }
    if (!session) return undefined;
    if (await fits(ctx, session)) return session;
  }
  return undefined;
}

async function fits(ctx: ClientContext, s: StoredSession): Promise<boolean> {
  if (s.version === ProtocolVersion.TLSv1_2) {
    if (!ctx.tls12Suites.includes(s.cipherSuite) || ctx.minVersion > ProtocolVersion.TLSv1_2) {
      return false;
    }
    if (!s.extendedMasterSecret || (!s.ticket && !s.sessionId)) return false;
  } else if (s.version === ProtocolVersion.TLSv1_3) {
    // RFC 8446 §4.2.11: a ticket is resumed with a suite of the same hash; we keep it simple
    // and offer a ticket only while its own suite is offered (0-RTT needs exactly that suite).
    if (!ctx.cipherSuites.includes(s.cipherSuite) || !s.ticket) return false;
  } else {
    return false;
  }
  if (!sessionUsable(s, Date.now()) || s.serverName !== ctx.verifyName) return false;
  if (s.peerCertificates.length === 0) return false;
  try {
    await ctx.verifier.verifyServer(
      s.peerCertificates,
      { name: ctx.verifyName },
      { provider: ctx.provider },
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Puts a session into the store once the handshake that made it has verified the server's
 * Finished (RFC 5077 §3.3: "the client MUST NOT treat the ticket as valid until it has
 * verified the server's Finished message"; TLS 1.3 tickets only arrive after it). A failing
 * store does not fail the connection.
 */
export async function saveSession(ctx: ClientContext, session: StoredSession): Promise<void> {
  if (!ctx.sessionStore) return;
  if (!session.ticket && !session.sessionId) return;
  try {
    await ctx.sessionStore.put(ctx.verifyName, session);
    ctx.conn.emit('state', 'session stored', { ticket: session.ticket !== undefined });
  } catch (error) {
    ctx.conn.emit('state', 'session store failed', { error: String(error) });
  }
}

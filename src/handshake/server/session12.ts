import { tls12Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import type { ClientHello } from '../../msgs/client-hello.ts';
import { ExtensionType, ProtocolVersion } from '../../msgs/enums.ts';
import { findExtension } from '../../msgs/extensions/extension.ts';
import { encodeNewSessionTicket12 } from '../../msgs/new-session-ticket12.ts';
import {
  decodeServerState,
  encodeServerState,
  type ServerSessionState,
} from '../../sessions/server-state.ts';
import { MAX_SESSION_LIFETIME } from '../../sessions/stored-session.ts';
import type { ServerContext } from './context.ts';

/**
 * The server's side of TLS 1.2 resumption outside the handshake states: finding the session a
 * ClientHello offers (RFC 5077 ticket or RFC 5246 session ID), and keeping a new one.
 */

/** What the server decided about a ClientHello's resumption offer. */
export interface ClientOffer12 {
  hello: ClientHello;
  serverName?: string;
  /** The ClientHello carried extended_master_secret. */
  ems: boolean;
}

/** Whether the client sent session_ticket at all (RFC 5077 §3.2: it supports tickets). */
export function clientWantsTicket(hello: ClientHello): boolean {
  return findExtension(hello.extensions, ExtensionType.session_ticket) !== undefined;
}

/**
 * The session the ClientHello asks to resume, if the server has it and may resume it; otherwise
 * undefined and the handshake goes on as a full one (a ticket that does not open, an unknown
 * ID, an expired session, another suite or name).
 *
 * @throws TlsError HANDSHAKE_FAILURE when the session used the extended master secret and this
 * ClientHello does not offer it (RFC 7627 §5.3)
 */
export async function findSession12(
  ctx: ServerContext,
  offer: ClientOffer12,
): Promise<ServerSessionState | undefined> {
  const { hello } = offer;
  const ticket = findExtension(hello.extensions, ExtensionType.session_ticket);
  let data: Uint8Array | undefined;
  if (ticket && ticket.length > 0) {
    // RFC 5077 §3.4: "If a ticket is presented by the client, the server MUST NOT attempt to
    // use the Session ID in the ClientHello for stateful session resumption."
    if (ctx.ticketer) data = await ctx.ticketer.open(ticket, ctx.provider);
  } else if (hello.legacySessionId.length > 0 && ctx.sessionCache) {
    data = await ctx.sessionCache.get(hello.legacySessionId);
  }
  const state = data ? decodeServerState(data) : undefined;
  if (!state || !resumable(ctx, offer, state)) return undefined;

  // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but the
  // new ClientHello does not contain it, the server MUST abort the abbreviated handshake."
  if (state.extendedMasterSecret && !offer.ems) {
    throw new TlsError(
      'HANDSHAKE_FAILURE',
      'tls: resumption of an extended-master-secret session without the extension',
    );
  }
  // RFC 7627 §5.3: a session without it is not resumed (a full handshake follows).
  if (!state.extendedMasterSecret) return undefined;
  return state;
}

function resumable(ctx: ServerContext, offer: ClientOffer12, s: ServerSessionState): boolean {
  if (s.version !== ProtocolVersion.TLSv1_2 || !tls12Suite(s.cipherSuite)) return false;
  // RFC 5246 §7.4.1.2: the client must still offer the session's suite; and we must still
  // allow it.
  if (!ctx.tls12Suites.includes(s.cipherSuite)) return false;
  if (!offer.hello.cipherSuites.includes(s.cipherSuite)) return false;
  // Renewed tickets keep the session's creation time: no session outlives seven days.
  const age = Date.now() - s.createdAt;
  if (age < 0 || age > MAX_SESSION_LIFETIME * 1000) return false;
  // RFC 6066 §3: "A server that implements this extension MUST NOT accept the request to resume
  // the session if the server_name extension contains a different name."
  return s.serverName === offer.serverName;
}

/**
 * After the client's Finished of a full handshake verified: caches the session under its ID
 * (when there is a cache and an ID) and returns the NewSessionTicket body to send (when a
 * ticket was promised). A cache that fails does not fail the connection.
 */
export async function keepSession12(
  ctx: ServerContext,
  state: ServerSessionState,
  sessionId: Uint8Array,
  issueTicket: boolean,
): Promise<Uint8Array | undefined> {
  const encoded = encodeServerState(state);
  if (ctx.sessionCache && sessionId.length > 0) {
    try {
      await ctx.sessionCache.put(sessionId, encoded);
    } catch (error) {
      ctx.conn.emit('state', 'session cache failed', { error: String(error) });
    }
  }
  return issueTicket ? newSessionTicket12(ctx, encoded) : undefined;
}

/** A NewSessionTicket body carrying `encoded` state sealed by the ticketer. */
export async function newSessionTicket12(
  ctx: ServerContext,
  encoded: Uint8Array,
): Promise<Uint8Array> {
  const ticketer = ctx.ticketer!;
  const ticket = await ticketer.seal(encoded, ctx.provider);
  return encodeNewSessionTicket12({ lifetimeHint: ticketer.lifetimeSeconds, ticket });
}

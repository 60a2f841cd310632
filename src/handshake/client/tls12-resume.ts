import type { HandshakeState } from '../../conn/core.ts';
import { tls12Exporter } from '../../conn/exporter.ts';
import type { Tls12Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import {
  finishedVerifyData12,
  keyBlock,
  type Tls12Keys,
  VERIFY_DATA_LENGTH,
} from '../../keyschedule/tls12.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import type { ClientHello } from '../../msgs/client-hello.ts';
import { decodeEmptyBody } from '../../msgs/empty-messages.ts';
import { HandshakeType } from '../../msgs/enums.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import {
  decodeNewSessionTicket12,
  type NewSessionTicket12,
} from '../../msgs/new-session-ticket12.ts';
import { Tls12Opener, Tls12Sealer } from '../../record/protection12.ts';
import type { StoredSession } from '../../sessions/stored-session.ts';
import { equalBytes } from '../../util/bytes.ts';
import { certificateSummary } from '../../verify/x509.ts';
import type { ClientContext } from './context.ts';
import { saveSession } from './session-store.ts';
import { Established12, unexpected12 } from './tls12.ts';

/**
 * The TLS 1.2 client's abbreviated handshake (RFC 5246 §7.3 Figure 2, RFC 5077 §3.1 Figure 2),
 * entered from acceptServerHello12 when the server echoes the session ID of the ClientHello
 * that offered a session:
 *
 *   ServerHello ─> ExpectResumedCcs (─ NewSessionTicket, when the ServerHello promised one)
 *     ─> ExpectResumedFinished ─> [ChangeCipherSpec, Finished sent] ─> Established
 */

/** What the resumed handshake carries between states. */
interface Resume12 {
  ctx: ClientContext;
  transcript: Transcript;
  hello: ClientHello;
  suite: Tls12Suite;
  session: StoredSession;
  /** The ServerHello carried session_ticket: a NewSessionTicket comes before the CCS. */
  ticketExpected: boolean;
  keys: Tls12Keys;
  newTicket?: NewSessionTicket12;
}

/** What acceptServerHello12 has established when it sees a resumption. */
export interface ResumedHello12 {
  ctx: ClientContext;
  transcript: Transcript;
  hello: ClientHello;
  suite: Tls12Suite;
  serverRandom: Uint8Array;
  /** The ServerHello carried extended_master_secret. */
  ems: boolean;
  ticketExpected: boolean;
}

/**
 * Checks that the server resumed the session we offered as it was, derives the keys from its
 * master secret, and returns the state that waits for the server's ChangeCipherSpec.
 */
export async function acceptResumption12(
  h: ResumedHello12,
  session: StoredSession,
): Promise<HandshakeState> {
  const { ctx } = h;
  const { conn } = ctx;
  // RFC 5246 §7.4.1.3: for a resumed session, cipher_suite "is the value from the state of the
  // session being resumed".
  if (h.suite.code !== session.cipherSuite) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: resumed session with another cipher suite');
  }
  // RFC 7627 §5.3: "If the original session did not use the "extended_master_secret" extension
  // but the new ServerHello contains the extension, the client MUST abort the handshake. If the
  // original session used the extension but the new ServerHello does not contain the extension,
  // the client MUST abort the handshake."
  if (h.ems !== session.extendedMasterSecret) {
    throw new TlsError(
      'HANDSHAKE_FAILURE',
      'tls: resumed session disagrees on the extended master secret',
    );
  }

  conn.info.resumed = true;
  conn.info.peerCertificates = session.peerCertificates;
  // The chain was verified again, by this connection's verifier, before the session was offered.
  conn.info.verification = 'OK';
  try {
    conn.info.peerSubject = certificateSummary(session.peerCertificates[0]);
  } catch {
    conn.info.peerSubject = undefined;
  }
  // RFC 5246 §6.3 / §8.1: the resumed master secret, with this handshake's randoms.
  conn.logKey('CLIENT_RANDOM', session.secret);
  conn.exporter = tls12Exporter(h.suite.hash, session.secret, h.hello.random, h.serverRandom);
  const keys = await keyBlock(
    ctx.provider,
    h.suite,
    session.secret,
    h.hello.random,
    h.serverRandom,
  );
  return new ExpectResumedCcs({
    ctx,
    transcript: h.transcript,
    hello: h.hello,
    suite: h.suite,
    session,
    ticketExpected: h.ticketExpected,
    keys,
  });
}

/**
 * RFC 5077 §3.3: the NewSessionTicket a ServerHello's session_ticket promised, between the
 * server's last flight message and its ChangeCipherSpec. Returns true when `msg` was it.
 */
export function takeNewSessionTicket12(
  f: { ticketExpected: boolean; newTicket?: NewSessionTicket12; transcript: Transcript },
  msg: HandshakeMessage,
): boolean {
  if (msg.type !== HandshakeType.new_session_ticket || !f.ticketExpected || f.newTicket) {
    return false;
  }
  f.newTicket = decodeNewSessionTicket12(msg.body);
  f.transcript.add(msg.raw);
  return true;
}

/** RFC 5077 §3.3: "This message MUST be sent if the server included a SessionTicket extension". */
export function checkTicketArrived(f: {
  ticketExpected: boolean;
  newTicket?: NewSessionTicket12;
}): void {
  if (f.ticketExpected && !f.newTicket) {
    throw new TlsError(
      'UNEXPECTED_MESSAGE',
      'tls: ChangeCipherSpec without the NewSessionTicket the ServerHello promised',
    );
  }
}

class ExpectResumedCcs implements HandshakeState {
  readonly name = 'ExpectChangeCipherSpec (resumed)';

  constructor(private readonly r: Resume12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (ignoredHelloRequest(msg) || takeNewSessionTicket12(this.r, msg)) return this;
    throw unexpected12(msg, this.name);
  }

  async handleCcs(): Promise<HandshakeState> {
    checkTicketArrived(this.r);
    const { ctx, suite, keys } = this.r;
    const aead = await ctx.provider.aead(suite.aead, keys.serverKey);
    ctx.conn.setReadProtection(new Tls12Opener(aead, keys.serverIv, suite));
    return new ExpectResumedFinished(this.r);
  }
}

class ExpectResumedFinished implements HandshakeState {
  readonly name = 'ExpectFinished (resumed)';

  constructor(private readonly r: Resume12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (ignoredHelloRequest(msg)) return this;
    if (msg.type !== HandshakeType.finished) throw unexpected12(msg, this.name);
    const { ctx, transcript, suite, session, keys } = this.r;
    const { conn, provider } = ctx;

    // 1. The server's Finished comes first in an abbreviated handshake (RFC 5246 §7.3).
    const expected = await finishedVerifyData12(
      provider,
      suite.hash,
      session.secret,
      false,
      await transcript.current(),
    );
    // RFC 5246 §7.4.9: a Finished that does not verify ends the handshake with decrypt_error.
    if (!equalBytes(decodeFinished(msg.body, VERIFY_DATA_LENGTH), expected)) {
      throw new TlsError('DECRYPT_ERROR', 'tls: server Finished does not verify');
    }
    transcript.add(msg.raw);

    // 2. Our ChangeCipherSpec and Finished.
    const aead = await provider.aead(suite.aead, keys.clientKey);
    await conn.sendCcsAndProtect(new Tls12Sealer(aead, keys.clientIv, suite));
    const verifyData = await finishedVerifyData12(
      provider,
      suite.hash,
      session.secret,
      true,
      await transcript.current(),
    );
    transcript.add(
      await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
    );

    // 3. Keep the session for next time: under the new ticket if one came; a session ID may be
    // used again (the server's cache decides); a ticket without a successor is spent.
    const ticket = this.r.newTicket?.ticket;
    if (ticket && ticket.length > 0) {
      await saveSession(ctx, {
        ...session,
        ticket,
        sessionId: undefined,
        receivedAt: Date.now(),
        lifetime: this.r.newTicket!.lifetimeHint,
        alpn: conn.info.alpn,
      });
    } else if (!session.ticket && session.sessionId) {
      await saveSession(ctx, session);
    }
    conn.markEstablished();
    return new Established12(ctx);
  }
}

/** RFC 5246 §7.4.1.1: a HelloRequest during a handshake is ignored (and not hashed). */
function ignoredHelloRequest(msg: HandshakeMessage): boolean {
  if (msg.type !== HandshakeType.hello_request) return false;
  decodeEmptyBody('HelloRequest', msg.body);
  return true;
}

import type { HandshakeState } from '../../conn/core.ts';
import { tls12Exporter } from '../../conn/exporter.ts';
import { type Tls12Suite, tls12Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import {
  finishedVerifyData12,
  keyBlock,
  type Tls12Keys,
  VERIFY_DATA_LENGTH,
} from '../../keyschedule/tls12.ts';
import { Transcript } from '../../keyschedule/transcript.ts';
import { ExtensionType, HandshakeType, ProtocolVersion } from '../../msgs/enums.ts';
import { encodeAlpnSelected } from '../../msgs/extensions/alpn.ts';
import { EMPTY_EXTENSION_DATA } from '../../msgs/extensions/empty.ts';
import type { Extension } from '../../msgs/extensions/extension.ts';
import { encodeRenegotiationInfo } from '../../msgs/extensions/renegotiation-info.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import { DOWNGRADE_TLS12_SENTINEL, encodeServerHello } from '../../msgs/server-hello.ts';
import { Tls12Opener, Tls12Sealer } from '../../record/protection12.ts';
import { encodeServerState, type ServerSessionState } from '../../sessions/server-state.ts';
import { equalBytes, utf8 } from '../../util/bytes.ts';
import { answerRecordSizeLimit } from '../record-size-limit.ts';
import type { ServerContext } from './context.ts';
import { type ClientOffer12, clientWantsTicket, newSessionTicket12 } from './session12.ts';
import { Established12, unexpected12 } from './tls12.ts';

/**
 * The TLS 1.2 server's abbreviated handshake (RFC 5246 §7.3 Figure 2, RFC 5077 §3.1 Figure 2):
 *
 *   ClientHello ─> [ServerHello, NewSessionTicket?, ChangeCipherSpec, Finished sent]
 *     ─> ExpectResumedCcs ─> ExpectResumedFinished ─> Established
 */

/** What the abbreviated handshake carries between states. */
interface Resume12 {
  ctx: ServerContext;
  transcript: Transcript;
  suite: Tls12Suite;
  master: Uint8Array;
  keys: Tls12Keys;
}

/** What the ClientHello parsing already decided for the ServerHello. */
export interface ResumeReply12 {
  /** RFC 5746 §3.6: the client signalled secure renegotiation. */
  secureRenegotiation: boolean;
  /** The ALPN protocol chosen for this connection (negotiated again, RFC 7301 §3.1). */
  alpn?: string;
}

/** Resumes `state` for this ClientHello and sends the server's whole abbreviated flight. */
export async function resumeTls12(
  ctx: ServerContext,
  offer: ClientOffer12,
  msg: HandshakeMessage,
  state: ServerSessionState,
  reply: ResumeReply12,
): Promise<HandshakeState> {
  const { conn, provider } = ctx;
  const { hello } = offer;
  const suite = tls12Suite(state.cipherSuite)!;
  const serverRandom = provider.random(32);
  // RFC 8446 §4.1.3: the downgrade sentinel, as in a full handshake.
  if (ctx.maxVersion >= ProtocolVersion.TLSv1_3) serverRandom.set(DOWNGRADE_TLS12_SENTINEL, 24);

  conn.useTls12();
  conn.info.protocol = 'TLSv1.2';
  conn.info.cipherSuite = suite.name;
  conn.info.resumed = true;
  const transcript = new Transcript(provider);
  transcript.setHash(suite.hash);
  transcript.add(msg.raw);

  // 1. ServerHello (RFC 5246 §7.4.1.3): the client's session ID echoed (for a ticket too, RFC
  // 5077 §3.4), the session's suite, no server_name (RFC 6066 §3: "When resuming a session,
  // the server MUST NOT include a server_name extension in the server hello").
  const extensions: Extension[] = [];
  if (reply.secureRenegotiation) {
    // RFC 5746 §3.6: empty renegotiation_info, as on every initial handshake.
    extensions.push({
      type: ExtensionType.renegotiation_info,
      data: encodeRenegotiationInfo(new Uint8Array(0)),
    });
  }
  // RFC 7627 §5.3: "the server MUST include the "extended_master_secret" extension".
  extensions.push({ type: ExtensionType.extended_master_secret, data: EMPTY_EXTENSION_DATA });
  if (reply.alpn !== undefined) {
    conn.info.alpn = reply.alpn;
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpnSelected(utf8(reply.alpn)),
    });
  }
  // A fresh ticket for a client that takes tickets: it uses each one once.
  const issueTicket = ctx.ticketer !== undefined && clientWantsTicket(hello);
  if (issueTicket) {
    extensions.push({ type: ExtensionType.session_ticket, data: EMPTY_EXTENSION_DATA });
  }
  // RFC 8449 §4: "During renegotiation or resumption, the record size limit is renegotiated."
  const limit = answerRecordSizeLimit(conn, ctx.recordSizeLimit, hello.extensions, true);
  if (limit) extensions.push(limit);
  const sh = encodeServerHello({
    legacyVersion: ProtocolVersion.TLSv1_2,
    random: serverRandom,
    legacySessionId: hello.legacySessionId,
    cipherSuite: suite.code,
    legacyCompressionMethod: 0,
    extensions,
  });
  transcript.add(await conn.sendHandshake(HandshakeType.server_hello, sh, 'ServerHello'));

  // 2. Keys from the session's master secret and this handshake's randoms (RFC 5246 §6.3).
  conn.logKey('CLIENT_RANDOM', state.secret);
  conn.exporter = tls12Exporter(suite.hash, state.secret, hello.random, serverRandom);
  const keys = await keyBlock(provider, suite, state.secret, hello.random, serverRandom);

  // 3. [NewSessionTicket] (RFC 5077 §3.3), ChangeCipherSpec, Finished.
  if (issueTicket) {
    const body = await newSessionTicket12(ctx, encodeServerState(state));
    transcript.add(
      await conn.sendHandshake(HandshakeType.new_session_ticket, body, 'NewSessionTicket'),
    );
  }
  const aead = await provider.aead(suite.aead, keys.serverKey);
  await conn.sendCcsAndProtect(new Tls12Sealer(aead, keys.serverIv, suite));
  const verifyData = await finishedVerifyData12(
    provider,
    suite.hash,
    state.secret,
    false,
    await transcript.current(),
  );
  transcript.add(
    await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
  );
  return new ExpectResumedCcs({ ctx, transcript, suite, master: state.secret, keys });
}

class ExpectResumedCcs implements HandshakeState {
  readonly name = 'ExpectChangeCipherSpec (resumed)';

  constructor(private readonly r: Resume12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    throw unexpected12(msg, this.name);
  }

  async handleCcs(): Promise<HandshakeState> {
    const { ctx, suite, keys } = this.r;
    const aead = await ctx.provider.aead(suite.aead, keys.clientKey);
    ctx.conn.setReadProtection(new Tls12Opener(aead, keys.clientIv, suite));
    return new ExpectResumedFinished(this.r);
  }
}

class ExpectResumedFinished implements HandshakeState {
  readonly name = 'ExpectFinished (resumed)';

  constructor(private readonly r: Resume12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.finished) throw unexpected12(msg, this.name);
    const { ctx, transcript, suite, master } = this.r;
    const expected = await finishedVerifyData12(
      ctx.provider,
      suite.hash,
      master,
      true,
      await transcript.current(),
    );
    // RFC 5246 §7.4.9: a Finished that does not verify ends the handshake with decrypt_error.
    if (!equalBytes(decodeFinished(msg.body, VERIFY_DATA_LENGTH), expected)) {
      throw new TlsError('DECRYPT_ERROR', 'tls: client Finished does not verify');
    }
    transcript.add(msg.raw);
    ctx.conn.markEstablished();
    return new Established12(ctx);
  }
}

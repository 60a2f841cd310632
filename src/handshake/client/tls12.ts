import type { CertifiedKey } from '../../config.ts';
import type { HandshakeState } from '../../conn/core.ts';
import { tls12Exporter } from '../../conn/exporter.ts';
import { TLS12_GROUPS } from '../../conn/resolve.ts';
import { spkiInfo } from '../../crypto/spki.ts';
import { type Tls12Suite, tls12Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import {
  extendedMasterSecret,
  finishedVerifyData12,
  keyBlock,
  legacyMasterSecret,
  type Tls12Keys,
  VERIFY_DATA_LENGTH,
} from '../../keyschedule/tls12.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import {
  type CertificateRequest12,
  decodeCertificateRequest12,
} from '../../msgs/certificate-request12.ts';
import { encodeCertificateVerify } from '../../msgs/certificate-verify.ts';
import { decodeCertificate12, encodeCertificate12 } from '../../msgs/certificate12.ts';
import type { ClientHello } from '../../msgs/client-hello.ts';
import { encodeClientKeyExchange } from '../../msgs/client-key-exchange.ts';
import { decodeEmptyBody } from '../../msgs/empty-messages.ts';
import {
  AlertDescription,
  ExtensionType,
  groupName,
  HandshakeType,
  nameOf,
  ProtocolVersion,
  SignatureScheme,
} from '../../msgs/enums.ts';
import { checkOffered } from '../../msgs/extensions/allowed.ts';
import { decodeAlpnSelected } from '../../msgs/extensions/alpn.ts';
import { decodeEmptyExtension } from '../../msgs/extensions/empty.ts';
import { findExtension } from '../../msgs/extensions/extension.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import type { NewSessionTicket12 } from '../../msgs/new-session-ticket12.ts';
import { downgradeSentinel, type ServerHello } from '../../msgs/server-hello.ts';
import {
  type DecodedServerKeyExchange,
  decodeServerKeyExchange,
} from '../../msgs/server-key-exchange.ts';
import { Tls12Opener, Tls12Sealer } from '../../record/protection12.ts';
import { equalBytes, fromUtf8 } from '../../util/bytes.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { checkPeerChainLimits, verifyPeerChain } from '../peer-chain.ts';
import { peerRecordSizeLimit } from '../record-size-limit.ts';
import { keyFitsSuite, serverKeyExchangeContent, verifyServerKeyExchange } from '../tls12-auth.ts';
import { checkTls12HelloExtensions } from '../tls12-hello-extensions.ts';
import { chooseClientCertificate } from './client-auth.ts';
import { requestInfo12, schemePicker12 } from './client-auth12.ts';
import type { ClientContext } from './context.ts';
import { saveSession } from './session-store.ts';
import { acceptResumption12, checkTicketArrived, takeNewSessionTicket12 } from './tls12-resume.ts';

/**
 * The TLS 1.2 client handshake (RFC 5246 §7.3, RFC 8422), entered from the TLS 1.3 client's
 * ExpectServerHello when the ServerHello selects TLS 1.2:
 *
 *   ServerHello ─> ExpectCertificate ─> ExpectServerKeyExchange ─> ExpectHelloDoneOrRequest
 *     ─(CertificateRequest)─> ExpectServerHelloDone
 *     ─> [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished sent
 *     ─> ExpectChangeCipherSpec (─ NewSessionTicket, RFC 5077) ─> ExpectFinished ─> Established
 *
 * When the server resumes the offered session, client/tls12-resume.ts runs the abbreviated
 * handshake instead.
 */

/** What the TLS 1.3 client hands over when the server picks TLS 1.2. */
export interface Tls12Start {
  ctx: ClientContext;
  transcript: Transcript;
  hello: ClientHello;
}

/** What the client remembers between TLS 1.2 states. */
interface Flight12 extends Tls12Start {
  suite: Tls12Suite;
  serverRandom: Uint8Array;
  /** Whether the extended master secret was negotiated (RFC 7627). */
  ems: boolean;
  peerSpki?: Uint8Array;
  ske?: DecodedServerKeyExchange;
  /** The server's CertificateRequest (RFC 5246 §7.4.4), when it sent one. */
  certRequest?: CertificateRequest12;
  master?: Uint8Array;
  keys?: Tls12Keys;
  /** The ServerHello's session ID (non-empty when the server caches the session). */
  sessionId: Uint8Array;
  /** The ServerHello carried session_ticket: a NewSessionTicket comes before the CCS. */
  ticketExpected: boolean;
  newTicket?: NewSessionTicket12;
}

/** Extensions a TLS 1.2 ServerHello may carry in answer to ours (RFC 5246 §7.4.1.4). */
const SERVER_HELLO_12: ReadonlySet<number> = new Set([
  ExtensionType.server_name,
  ExtensionType.ec_point_formats,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.extended_master_secret,
  ExtensionType.renegotiation_info,
  ExtensionType.session_ticket,
  ExtensionType.record_size_limit,
]);

/** Checks a TLS 1.2 ServerHello and returns the state that waits for the Certificate. */
export async function acceptServerHello12(
  start: Tls12Start,
  sh: ServerHello,
  msg: HandshakeMessage,
): Promise<HandshakeState> {
  const { ctx, hello } = start;
  const { conn } = ctx;

  // 1. Version. RFC 8446 §4.2.1: without supported_versions, legacy_version is the version.
  if (sh.legacyVersion !== ProtocolVersion.TLSv1_2 || ctx.minVersion > ProtocolVersion.TLSv1_2) {
    throw new TlsError(
      'PROTOCOL_VERSION',
      `tls: server selected 0x${sh.legacyVersion.toString(16)}, which is not enabled`,
    );
  }
  // RFC 8446 §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2 or below MUST
  // check that the last 8 bytes are not equal to either of these values. [...] If a match is
  // found, the client MUST abort the handshake with an "illegal_parameter" alert."
  if (ctx.maxVersion >= ProtocolVersion.TLSv1_3 && downgradeSentinel(sh.random)) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: downgrade sentinel in a TLS 1.2 ServerHello');
  }

  // 2. Cipher suite: one of the TLS 1.2 suites we offered (RFC 5246 §7.4.1.3).
  const suite = tls12Suite(sh.cipherSuite);
  if (!suite || !ctx.tls12Suites.includes(sh.cipherSuite)) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected a cipher suite not offered');
  }
  // RFC 5246 §7.4.1.3, RFC 5077 §3.4: echoing our non-empty session ID means resuming the
  // session we offered; without one, the echo claims a session we lack.
  const resumed =
    hello.legacySessionId.length > 0 && equalBytes(sh.legacySessionId, hello.legacySessionId);
  const offered = ctx.offeredSession;
  if (resumed && !offered) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: server resumed a session that was not offered');
  }

  // 3. Extensions: only answers to ours, and only those that exist in TLS 1.2.
  checkOffered(
    hello.extensions.map((e) => e.type),
    sh.extensions,
  );
  for (const { type } of sh.extensions) {
    // RFC 5246 §7.4.1.4: an extension the client did not request → unsupported_extension.
    if (!SERVER_HELLO_12.has(type)) {
      throw new TlsError(
        'UNSUPPORTED_EXTENSION',
        `tls: ${nameOf(ExtensionType, type)} in a TLS 1.2 ServerHello`,
      );
    }
  }
  const ext = (type: number) => findExtension(sh.extensions, type);
  const { ems } = checkTls12HelloExtensions(sh.extensions, ctx.requireEms, 'server');
  const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
  if (alpn) {
    const selected = fromUtf8(decodeAlpnSelected(alpn));
    // RFC 7301 §3.1: the server's protocol must be one the client offered.
    if (!ctx.alpnProtocols.includes(selected)) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected an ALPN protocol not offered');
    }
    conn.info.alpn = selected;
  }
  const sni = ext(ExtensionType.server_name);
  // RFC 6066 §3: the server's acknowledgement is an empty extension.
  if (sni && sni.length !== 0) throw new TlsError('DECODE_ERROR', 'tls: non-empty server_name ack');
  // RFC 5077 §3.2: the server's session_ticket is empty and promises a NewSessionTicket.
  const ticketExt = ext(ExtensionType.session_ticket);
  if (ticketExt) decodeEmptyExtension(ExtensionType.session_ticket, ticketExt);

  // 4. From here on, TLS 1.2 rules.
  conn.useTls12();
  // RFC 8449 §4: negotiated when the server answers ours; it holds after ChangeCipherSpec.
  const serverLimit = peerRecordSizeLimit(sh.extensions);
  if (serverLimit !== undefined && ctx.recordSizeLimit !== undefined) {
    conn.limitRecords(serverLimit, ctx.recordSizeLimit);
  }
  conn.info.protocol = 'TLSv1.2';
  conn.info.cipherSuite = suite.name;
  start.transcript.setHash(suite.hash);
  start.transcript.add(msg.raw);
  const ticketExpected = ticketExt !== undefined;
  if (resumed) {
    const h = { ...start, suite, serverRandom: sh.random, ems, ticketExpected };
    return acceptResumption12(h, offered!);
  }
  return new ExpectCertificate({
    ...start,
    suite,
    serverRandom: sh.random,
    ems,
    sessionId: sh.legacySessionId,
    ticketExpected,
  });
}

/** Shared by the states: HelloRequest is ignored while a handshake runs (RFC 5246 §7.4.1.1). */
abstract class State12 implements HandshakeState {
  abstract readonly name: string;

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type === HandshakeType.hello_request) {
      // "This message will be ignored by the client if the client is currently negotiating a
      // session." It is not part of the transcript.
      decodeEmptyBody('HelloRequest', msg.body);
      return this;
    }
    return this.handle12(msg);
  }

  protected abstract handle12(msg: HandshakeMessage): Promise<HandshakeState>;
}

class ExpectCertificate extends State12 {
  readonly name = 'ExpectCertificate (TLS 1.2)';

  constructor(private readonly f: Flight12) {
    super();
  }

  protected async handle12(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.certificate) throw unexpected(msg, this.name);
    const { ctx, suite } = this.f;
    const chain = decodeCertificate12(msg.body);
    checkPeerChainLimits(ctx.conn.limitsInEffect, chain);
    // RFC 5246 §7.4.2: the server sends its certificate whenever the key exchange uses one, as
    // every suite we offer does.
    if (chain.length === 0) throw new TlsError('DECODE_ERROR', 'tls: server sent no certificate');
    this.f.transcript.add(msg.raw);
    await verifyPeerChain(ctx.conn.info, chain, () =>
      ctx.verifier.verifyServer(chain, { name: ctx.verifyName }, { provider: ctx.provider }),
    );
    const spki = parseCertificate(chain[0]).spki;
    // RFC 5246 §7.4.2: "The end entity certificate's public key [...] MUST be compatible with
    // the selected key exchange algorithm."
    if (!keyFitsSuite(spkiInfo(spki).algorithm, suite)) {
      throw new TlsError(
        'UNSUPPORTED_CERTIFICATE',
        `tls: certificate key does not fit ${suite.name}`,
      );
    }
    this.f.peerSpki = spki;
    return new ExpectServerKeyExchange(this.f);
  }
}

class ExpectServerKeyExchange extends State12 {
  readonly name = 'ExpectServerKeyExchange';

  constructor(private readonly f: Flight12) {
    super();
  }

  protected async handle12(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.server_key_exchange) throw unexpected(msg, this.name);
    const f = this.f;
    const { ctx } = f;
    const ske = decodeServerKeyExchange(msg.body);
    // RFC 8422 §5.4: the server's curve must be one the client listed in supported_groups.
    if (!TLS12_GROUPS.includes(ske.group) || !ctx.groups.includes(ske.group)) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: ServerKeyExchange in a group not offered');
    }
    await verifyServerKeyExchange(ctx.provider, {
      scheme: ske.scheme,
      offered: ctx.signatureSchemes,
      spki: f.peerSpki!,
      content: serverKeyExchangeContent(f.hello.random, f.serverRandom, ske.params),
      signature: ske.signature,
    });
    ctx.conn.info.group = groupName(ske.group);
    ctx.conn.info.peerSignatureScheme = nameOf(SignatureScheme, ske.scheme);
    f.ske = ske;
    f.transcript.add(msg.raw);
    return new ExpectHelloDoneOrRequest(f);
  }
}

class ExpectHelloDoneOrRequest extends State12 {
  readonly name = 'ExpectServerHelloDone';

  constructor(private readonly f: Flight12) {
    super();
  }

  protected async handle12(msg: HandshakeMessage): Promise<HandshakeState> {
    const f = this.f;
    if (msg.type === HandshakeType.certificate_request && !f.certRequest) {
      f.certRequest = decodeCertificateRequest12(msg.body);
      f.transcript.add(msg.raw);
      return this;
    }
    if (msg.type !== HandshakeType.server_hello_done) throw unexpected(msg, this.name);
    decodeEmptyBody('ServerHelloDone', msg.body);
    f.transcript.add(msg.raw);
    return this.sendFlight();
  }

  /** RFC 5246 §7.3: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished. */
  private async sendFlight(): Promise<HandshakeState> {
    const f = this.f;
    const { ctx, transcript, suite } = f;
    const { conn, provider } = ctx;
    const ske = f.ske!;

    // 1. The pre-master secret first: a bad server point fails before anything is sent
    // (illegal_parameter from the key exchange, RFC 8422 §5.11).
    const share = await ctx.group(ske.group).generate();
    const preMaster = await share.complete(ske.publicKey);

    // 2. RFC 5246 §7.4.6: the client's Certificate, the one the resolver or config gives, or
    // an empty one when there is none or it fits none of the server's types and schemes.
    let chosen: { cert: CertifiedKey; scheme: number } | undefined;
    if (f.certRequest) {
      chosen = await chooseClientCertificate(
        ctx.clientCertificate,
        ctx.clientCertResolver,
        requestInfo12(f.certRequest, ctx.serverName),
        schemePicker12(f.certRequest.certificateTypes),
      );
      const framed = await conn.sendHandshake(
        HandshakeType.certificate,
        encodeCertificate12(chosen?.cert.chain ?? []),
        'Certificate',
      );
      transcript.add(framed);
    }
    transcript.add(
      await conn.sendHandshake(
        HandshakeType.client_key_exchange,
        encodeClientKeyExchange(share.publicKey),
        'ClientKeyExchange',
      ),
    );

    // 3. Master secret (RFC 7627 §4: session_hash covers the transcript through
    // ClientKeyExchange) and keys.
    const master = f.ems
      ? await extendedMasterSecret(provider, suite.hash, preMaster, await transcript.current())
      : await legacyMasterSecret(provider, suite.hash, preMaster, f.hello.random, f.serverRandom);
    conn.logKey('CLIENT_RANDOM', master);
    conn.exporter = tls12Exporter(suite.hash, master, f.hello.random, f.serverRandom);
    const keys = await keyBlock(provider, suite, master, f.hello.random, f.serverRandom);
    f.master = master;
    f.keys = keys;

    // 4. RFC 5246 §7.4.8: a client that sent a certificate signs handshake_messages, every
    // message from ClientHello up to this one.
    if (chosen) {
      const signature = await chosen.cert.key.sign(chosen.scheme, transcript.bytes());
      transcript.add(
        await conn.sendHandshake(
          HandshakeType.certificate_verify,
          encodeCertificateVerify({ algorithm: chosen.scheme, signature }),
          'CertificateVerify',
        ),
      );
    }

    // 5. ChangeCipherSpec, then Finished under the new write key.
    const aead = await provider.aead(suite.aead, keys.clientKey);
    await conn.sendCcsAndProtect(new Tls12Sealer(aead, keys.clientIv, suite));
    const verifyData = await finishedVerifyData12(
      provider,
      suite.hash,
      master,
      true,
      await transcript.current(),
    );
    transcript.add(
      await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
    );
    return new ExpectChangeCipherSpec(f);
  }
}

class ExpectChangeCipherSpec extends State12 {
  readonly name = 'ExpectChangeCipherSpec';

  constructor(private readonly f: Flight12) {
    super();
  }

  protected async handle12(msg: HandshakeMessage): Promise<HandshakeState> {
    if (takeNewSessionTicket12(this.f, msg)) return this;
    // Finished before ChangeCipherSpec, or a NewSessionTicket that was not promised.
    throw unexpected(msg, this.name);
  }

  async handleCcs(): Promise<HandshakeState> {
    checkTicketArrived(this.f);
    const { ctx, suite, keys } = this.f;
    const aead = await ctx.provider.aead(suite.aead, keys!.serverKey);
    ctx.conn.setReadProtection(new Tls12Opener(aead, keys!.serverIv, suite));
    return new ExpectFinished(this.f);
  }
}

class ExpectFinished extends State12 {
  readonly name = 'ExpectFinished (TLS 1.2)';

  constructor(private readonly f: Flight12) {
    super();
  }

  protected async handle12(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.finished) throw unexpected(msg, this.name);
    const { ctx, transcript, suite } = this.f;
    const expected = await finishedVerifyData12(
      ctx.provider,
      suite.hash,
      this.f.master!,
      false,
      await transcript.current(),
    );
    // RFC 5246 §7.4.9: a Finished that does not verify ends the handshake with decrypt_error.
    if (!equalBytes(decodeFinished(msg.body, VERIFY_DATA_LENGTH), expected)) {
      throw new TlsError('DECRYPT_ERROR', 'tls: server Finished does not verify');
    }
    transcript.add(msg.raw);
    await this.saveSession();
    ctx.conn.markEstablished();
    return new Established(ctx);
  }

  /** Stores the new session: its ticket (RFC 5077) and/or session ID (RFC 5246 §7.4.1.3). */
  private async saveSession(): Promise<void> {
    const { ctx, suite, newTicket, sessionId } = this.f;
    const { info } = ctx.conn;
    // RFC 7627 §5.3: a session without the extended master secret is not resumed.
    if (!this.f.ems) return;
    const ticket = newTicket && newTicket.ticket.length > 0 ? newTicket.ticket : undefined;
    await saveSession(ctx, {
      version: ProtocolVersion.TLSv1_2,
      cipherSuite: suite.code,
      secret: this.f.master!,
      ticket,
      sessionId: sessionId.length > 0 ? sessionId : undefined,
      receivedAt: Date.now(),
      lifetime: ticket ? newTicket!.lifetimeHint : 0,
      ageAdd: 0,
      maxEarlyData: 0,
      alpn: info.alpn,
      extendedMasterSecret: true,
      serverName: ctx.verifyName,
      peerCertificates: info.peerCertificates,
    });
  }
}

/** After the handshake: a HelloRequest is refused, never acted on (RFC 5746, RFC 5246). */
class Established implements HandshakeState {
  readonly name = 'Established (TLS 1.2)';

  constructor(private readonly ctx: ClientContext) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.hello_request) throw unexpected(msg, this.name);
    decodeEmptyBody('HelloRequest', msg.body);
    // RFC 5246 §7.4.1.1: a client that does not wish to renegotiate "may [...] respond with a
    // no_renegotiation alert"; §7.2.2: that alert "is always a warning".
    await this.ctx.conn.sendWarning(AlertDescription.no_renegotiation);
    return this;
  }
}

/** The abbreviated handshake ends in the same state. */
export { Established as Established12, unexpected as unexpected12 };

function unexpected(msg: HandshakeMessage, state: string): TlsError {
  return new TlsError(
    'UNEXPECTED_MESSAGE',
    `tls: unexpected ${nameOf(HandshakeType, msg.type, 2)} in ${state}`,
  );
}

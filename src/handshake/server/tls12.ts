import type { CertifiedKey } from '../../config.ts';
import type { HandshakeState } from '../../conn/core.ts';
import { tls12Exporter } from '../../conn/exporter.ts';
import { TLS12_GROUPS } from '../../conn/resolve.ts';
import type { KeyShare } from '../../crypto/provider.ts';
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
import { Transcript } from '../../keyschedule/transcript.ts';
import { encodeCertificate12 } from '../../msgs/certificate12.ts';
import type { ClientHello } from '../../msgs/client-hello.ts';
import { decodeClientKeyExchange } from '../../msgs/client-key-exchange.ts';
import { EMPTY_BODY } from '../../msgs/empty-messages.ts';
import {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  groupName,
  HandshakeType,
  NamedGroup,
  nameOf,
  ProtocolVersion,
} from '../../msgs/enums.ts';
import { checkAllowed } from '../../msgs/extensions/allowed.ts';
import { decodeAlpn, encodeAlpnSelected } from '../../msgs/extensions/alpn.ts';
import {
  EC_POINT_FORMAT_UNCOMPRESSED,
  encodeEcPointFormats,
} from '../../msgs/extensions/ec-point-formats.ts';
import { EMPTY_EXTENSION_DATA } from '../../msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { encodeRenegotiationInfo } from '../../msgs/extensions/renegotiation-info.ts';
import { decodeServerName } from '../../msgs/extensions/server-name.ts';
import { decodeSignatureSchemes } from '../../msgs/extensions/signature-algorithms.ts';
import { decodeSupportedGroups } from '../../msgs/extensions/supported-groups.ts';
import { decodeSupportedVersionsClient } from '../../msgs/extensions/supported-versions.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import { DOWNGRADE_TLS12_SENTINEL, encodeServerHello } from '../../msgs/server-hello.ts';
import { encodeEcdhParams, encodeServerKeyExchange } from '../../msgs/server-key-exchange.ts';
import { Tls12Opener, Tls12Sealer } from '../../record/protection12.ts';
import type { ServerSessionState } from '../../sessions/server-state.ts';
import { equalBytes, fromUtf8, utf8 } from '../../util/bytes.ts';
import { answerRecordSizeLimit } from '../record-size-limit.ts';
import { serverKeyExchangeContent } from '../tls12-auth.ts';
import { checkTls12HelloExtensions } from '../tls12-hello-extensions.ts';
import {
  certificateRequest12,
  ExpectClientCertificate12,
  ExpectClientCertificateVerify12,
  type SentRequest12,
} from './client-auth12.ts';
import type { ServerContext } from './context.ts';
import { selectCertificate12 } from './select-certificate12.ts';
import { clientWantsTicket, findSession12, keepSession12 } from './session12.ts';
import { resumeTls12 } from './tls12-resume.ts';

/**
 * The TLS 1.2 server handshake (RFC 5246 §7.3, RFC 8422), entered from the server's
 * ExpectClientHello when version negotiation picks TLS 1.2:
 *
 *   ClientHello ─> [ServerHello, Certificate, ServerKeyExchange, CertificateRequest?,
 *     ServerHelloDone sent] ─> [ExpectClientCertificate] ─> ExpectClientKeyExchange
 *     ─> [ExpectClientCertificateVerify] ─> ExpectChangeCipherSpec ─> ExpectFinished
 *     ─> [NewSessionTicket?, ChangeCipherSpec, Finished sent] ─> Established
 *
 * The bracketed states run when `clientAuth` asks for a certificate (server/client-auth12.ts).
 * A ClientHello that offers a session the server can resume (RFC 5077 ticket, or a session ID
 * in the cache) gets the abbreviated handshake of server/tls12-resume.ts instead.
 */

/** The parts of a TLS 1.2 ClientHello the server acts on. */
export interface Offer12 {
  hello: ClientHello;
  suite: Tls12Suite;
  cert: CertifiedKey;
  scheme: number;
  group: number;
  serverName?: string;
  alpn?: string[];
  /** The client signalled RFC 5746 support (SCSV or the extension). */
  secureRenegotiation: boolean;
  ems: boolean;
  pointFormats: boolean;
}

/** What the server remembers between TLS 1.2 states. */
interface Flight12 {
  ctx: ServerContext;
  transcript: Transcript;
  suite: Tls12Suite;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  ems: boolean;
  share: KeyShare;
  master?: Uint8Array;
  keys?: Tls12Keys;
  /** The session ID sent (empty when the session is not cached). */
  sessionId: Uint8Array;
  /** A NewSessionTicket was promised in the ServerHello (RFC 5077 §3.2). */
  issueTicket: boolean;
  serverName?: string;
  alpn?: string;
  /** The CertificateRequest sent, when the server asked for a client certificate. */
  certRequest?: SentRequest12;
  /** The key of the client certificate received, which must sign CertificateVerify. */
  clientSpki?: Uint8Array;
}

/**
 * Which version to answer a first ClientHello with (RFC 8446 §4.2.1, RFC 5246 §E.1): TLS 1.3
 * when the client offers it and it is enabled, else TLS 1.2 when both sides allow it.
 *
 * @throws TlsError PROTOCOL_VERSION when there is no version in common
 */
export function chooseVersion(ctx: ServerContext, hello: ClientHello): number {
  const data = findExtension(hello.extensions, ExtensionType.supported_versions);
  // §4.2.1: "If this extension is present, servers MUST ignore the ClientHello.legacy_version".
  const offered = data
    ? decodeSupportedVersionsClient(data)
    : hello.legacyVersion >= ProtocolVersion.TLSv1_2
      ? [ProtocolVersion.TLSv1_2]
      : [];
  if (offered.includes(ProtocolVersion.TLSv1_3) && ctx.maxVersion >= ProtocolVersion.TLSv1_3) {
    return ProtocolVersion.TLSv1_3;
  }
  if (offered.includes(ProtocolVersion.TLSv1_2) && ctx.minVersion <= ProtocolVersion.TLSv1_2) {
    return ProtocolVersion.TLSv1_2;
  }
  throw new TlsError('PROTOCOL_VERSION', 'tls: no protocol version in common with the client');
}

/** Answers a ClientHello with the server's TLS 1.2 flight. */
export async function respondTls12(
  ctx: ServerContext,
  hello: ClientHello,
  msg: HandshakeMessage,
  chooseAlpn: (ours: readonly string[], theirs: string[] | undefined) => string | undefined,
): Promise<HandshakeState> {
  const { conn, provider } = ctx;
  const offer = parseOffer(ctx, hello);
  if (offer.serverName !== undefined) conn.info.serverName = offer.serverName;

  // 1. Decide everything that can fail before anything is sent.
  const alpn = chooseAlpn(ctx.alpnProtocols, offer.alpn);
  // A TLS 1.2 session does not keep the client's certificate (ServerSessionState has no place
  // for it), so a server that authenticates clients neither resumes nor issues sessions: every
  // connection authenticates its client afresh.
  const keepsSessions = ctx.clientAuth === undefined;
  const resumable = keepsSessions ? await findSession12(ctx, offer) : undefined;
  if (resumable) {
    return resumeTls12(ctx, offer, msg, resumable, {
      secureRenegotiation: offer.secureRenegotiation,
      alpn,
    });
  }
  // RFC 7627 §5.3: only sessions with the extended master secret are kept for resumption.
  const sessionId =
    keepsSessions && ctx.sessionCache && offer.ems ? provider.random(32) : new Uint8Array(0);
  const issueTicket =
    keepsSessions && ctx.ticketer !== undefined && offer.ems && clientWantsTicket(hello);
  const serverRandom = provider.random(32);
  // RFC 8446 §4.1.3: "TLS 1.3 servers which negotiate TLS 1.2 or below in response to a
  // ClientHello MUST set the last 8 bytes of their Random value specially".
  if (ctx.maxVersion >= ProtocolVersion.TLSv1_3) serverRandom.set(DOWNGRADE_TLS12_SENTINEL, 24);
  const share = await ctx.group(offer.group).generate();
  const params = encodeEcdhParams(offer.group, share.publicKey);
  const signature = await offer.cert.key.sign(
    offer.scheme,
    serverKeyExchangeContent(hello.random, serverRandom, params),
  );

  conn.useTls12();
  conn.info.protocol = 'TLSv1.2';
  conn.info.cipherSuite = offer.suite.name;
  conn.info.group = groupName(offer.group);
  const transcript = new Transcript(provider);
  transcript.setHash(offer.suite.hash);
  transcript.add(msg.raw);

  // 2. ServerHello (RFC 5246 §7.4.1.3). The session_id is empty when the session is not cached.
  const extensions: Extension[] = [];
  if (offer.secureRenegotiation) {
    // RFC 5746 §3.6: "the server MUST include an empty "renegotiation_info" extension".
    extensions.push({
      type: ExtensionType.renegotiation_info,
      data: encodeRenegotiationInfo(new Uint8Array(0)),
    });
  }
  if (offer.ems) {
    extensions.push({ type: ExtensionType.extended_master_secret, data: EMPTY_EXTENSION_DATA });
  }
  if (offer.pointFormats) {
    extensions.push({
      type: ExtensionType.ec_point_formats,
      data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]),
    });
  }
  if (alpn !== undefined) {
    conn.info.alpn = alpn;
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpnSelected(utf8(alpn)),
    });
  }
  if (offer.serverName !== undefined) {
    extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  }
  // RFC 5077 §3.2: an empty session_ticket promises a NewSessionTicket.
  if (issueTicket) {
    extensions.push({ type: ExtensionType.session_ticket, data: EMPTY_EXTENSION_DATA });
  }
  // RFC 8449 §4: our limit in answer to the client's; it holds after ChangeCipherSpec.
  const limit = answerRecordSizeLimit(conn, ctx.recordSizeLimit, hello.extensions, true);
  if (limit) extensions.push(limit);
  const sh = encodeServerHello({
    legacyVersion: ProtocolVersion.TLSv1_2,
    random: serverRandom,
    legacySessionId: sessionId,
    cipherSuite: offer.suite.code,
    legacyCompressionMethod: 0,
    extensions,
  });
  transcript.add(await conn.sendHandshake(HandshakeType.server_hello, sh, 'ServerHello'));

  // 3. Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone.
  transcript.add(
    await conn.sendHandshake(
      HandshakeType.certificate,
      encodeCertificate12(offer.cert.chain),
      'Certificate',
    ),
  );
  transcript.add(
    await conn.sendHandshake(
      HandshakeType.server_key_exchange,
      encodeServerKeyExchange({
        group: offer.group,
        publicKey: share.publicKey,
        scheme: offer.scheme,
        signature,
      }),
      'ServerKeyExchange',
    ),
  );
  // RFC 5246 §7.4.4: "If it is sent, it will immediately follow the ServerKeyExchange message".
  let certRequest: SentRequest12 | undefined;
  if (ctx.clientAuth) {
    const cr = certificateRequest12(ctx, ctx.clientAuth);
    certRequest = cr.sent;
    transcript.add(
      await conn.sendHandshake(HandshakeType.certificate_request, cr.body, 'CertificateRequest'),
    );
  }
  transcript.add(
    await conn.sendHandshake(HandshakeType.server_hello_done, EMPTY_BODY, 'ServerHelloDone'),
  );
  const f: Flight12 = {
    ctx,
    transcript,
    suite: offer.suite,
    clientRandom: hello.random.slice(), // the exporter keeps it: not a view into the hello
    serverRandom,
    ems: offer.ems,
    share,
    sessionId,
    issueTicket,
    serverName: offer.serverName,
    alpn,
    certRequest,
  };
  if (ctx.clientAuth && certRequest) {
    return new ExpectClientCertificate12(ctx, ctx.clientAuth, certRequest, transcript, (spki) => {
      f.clientSpki = spki;
      return new ExpectClientKeyExchange(f);
    });
  }
  return new ExpectClientKeyExchange(f);
}

/** Checks a ClientHello for TLS 1.2 and picks the suite, certificate, scheme and group. */
function parseOffer(ctx: ServerContext, hello: ClientHello): Offer12 {
  checkAllowed(HandshakeType.client_hello, hello.extensions);
  const ext = (type: number) => findExtension(hello.extensions, type);

  // RFC 5246 §7.4.1.2: compression_methods "MUST contain [...] CompressionMethod.null".
  if (!hello.legacyCompressionMethods.includes(0)) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: ClientHello without null compression');
  }
  // RFC 7507 §3: TLS_FALLBACK_SCSV from a client below our highest version is a downgrade.
  if (
    hello.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV) &&
    ctx.maxVersion > ProtocolVersion.TLSv1_2
  ) {
    throw new TlsError('INAPPROPRIATE_FALLBACK', 'tls: TLS_FALLBACK_SCSV in a TLS 1.2 hello');
  }

  // RFC 5746 §3.6: the SCSV or an empty renegotiation_info signals support.
  const flags = checkTls12HelloExtensions(hello.extensions, ctx.requireEms, 'client');
  const secureRenegotiation =
    flags.renegotiationInfo ||
    hello.cipherSuites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);

  // RFC 8422 §4: without supported_groups the client is taken to support P-256.
  const groupsExt = ext(ExtensionType.supported_groups);
  const listed = groupsExt ? decodeSupportedGroups(groupsExt) : undefined;
  const clientGroups = listed ?? [NamedGroup.secp256r1];
  const group = ctx.groups.find((g) => TLS12_GROUPS.includes(g) && clientGroups.includes(g));

  // RFC 5246 §7.4.1.4.1: without signature_algorithms the client means SHA-1, which we do not
  // sign with; no certificate will fit.
  const sigAlgs = ext(ExtensionType.signature_algorithms);
  const schemes = sigAlgs ? decodeSignatureSchemes(sigAlgs) : [];
  const sni = ext(ExtensionType.server_name);
  const serverName = sni ? decodeServerName(sni) : undefined;
  const alpnExt = ext(ExtensionType.application_layer_protocol_negotiation);

  // The first of our suites the client offers that a certificate can serve (RFC 5246 §7.4.1.3).
  let chosen: { suite: Tls12Suite; cert: CertifiedKey; scheme: number } | undefined;
  if (group !== undefined) {
    for (const code of ctx.tls12Suites) {
      const suite = tls12Suite(code);
      if (!suite || !hello.cipherSuites.includes(code)) continue;
      const pick = selectCertificate12(ctx.certificates, serverName, schemes, listed, suite);
      if (pick) {
        chosen = { suite, ...pick };
        break;
      }
    }
  }
  if (!chosen || group === undefined) {
    throw new TlsError('HANDSHAKE_FAILURE', 'tls: no TLS 1.2 cipher suite in common');
  }
  return {
    hello,
    ...chosen,
    group,
    serverName,
    alpn: alpnExt ? decodeAlpn(alpnExt).map((p) => fromUtf8(p)) : undefined,
    secureRenegotiation,
    ems: flags.ems,
    pointFormats: flags.pointFormats,
  };
}

class ExpectClientKeyExchange implements HandshakeState {
  readonly name = 'ExpectClientKeyExchange';

  constructor(private readonly f: Flight12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    // A client Certificate is expected only after a CertificateRequest, in its own state.
    if (msg.type !== HandshakeType.client_key_exchange) throw unexpected(msg, this.name);
    const f = this.f;
    const { ctx, transcript, suite } = f;
    const { conn, provider } = ctx;
    const point = decodeClientKeyExchange(msg.body);
    // The key exchange checks the point (illegal_parameter for a malformed or low-order one).
    const preMaster = await f.share.complete(point);
    transcript.add(msg.raw);

    // RFC 7627 §4: session_hash runs through ClientKeyExchange.
    const master = f.ems
      ? await extendedMasterSecret(provider, suite.hash, preMaster, await transcript.current())
      : await legacyMasterSecret(provider, suite.hash, preMaster, f.clientRandom, f.serverRandom);
    conn.logKey('CLIENT_RANDOM', master);
    conn.exporter = tls12Exporter(suite.hash, master, f.clientRandom, f.serverRandom);
    f.master = master;
    f.keys = await keyBlock(provider, suite, master, f.clientRandom, f.serverRandom);
    // RFC 5246 §7.4.8: a client that sent a certificate proves its key next.
    if (f.clientSpki && f.certRequest) {
      const next = new ExpectChangeCipherSpec(f);
      return new ExpectClientCertificateVerify12(
        ctx,
        f.certRequest,
        transcript,
        f.clientSpki,
        next,
      );
    }
    return new ExpectChangeCipherSpec(f);
  }
}

class ExpectChangeCipherSpec implements HandshakeState {
  readonly name = 'ExpectChangeCipherSpec';

  constructor(private readonly f: Flight12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    throw unexpected(msg, this.name);
  }

  async handleCcs(): Promise<HandshakeState> {
    const { ctx, suite, keys } = this.f;
    const aead = await ctx.provider.aead(suite.aead, keys!.clientKey);
    ctx.conn.setReadProtection(new Tls12Opener(aead, keys!.clientIv, suite));
    return new ExpectFinished(this.f);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = 'ExpectFinished (TLS 1.2)';

  constructor(private readonly f: Flight12) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.finished) throw unexpected(msg, this.name);
    const { ctx, transcript, suite } = this.f;
    const { conn, provider } = ctx;
    const master = this.f.master!;
    const expected = await finishedVerifyData12(
      provider,
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

    // RFC 5077 §3.3: "the server MUST verify the client's Finished message before sending the
    // ticket"; the session becomes resumable now.
    const ticket = await keepSession12(ctx, this.state(), this.f.sessionId, this.f.issueTicket);
    if (ticket) {
      transcript.add(
        await conn.sendHandshake(HandshakeType.new_session_ticket, ticket, 'NewSessionTicket'),
      );
    }

    // The server's ChangeCipherSpec and Finished (RFC 5246 §7.3).
    const keys = this.f.keys!;
    const aead = await provider.aead(suite.aead, keys.serverKey);
    await conn.sendCcsAndProtect(new Tls12Sealer(aead, keys.serverIv, suite));
    const verifyData = await finishedVerifyData12(
      provider,
      suite.hash,
      master,
      false,
      await transcript.current(),
    );
    transcript.add(
      await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
    );
    conn.markEstablished();
    return new Established(ctx);
  }

  /** What resuming this session needs (sealed into a ticket or cached by session ID). */
  private state(): ServerSessionState {
    const f = this.f;
    const now = Date.now();
    return {
      version: ProtocolVersion.TLSv1_2,
      cipherSuite: f.suite.code,
      secret: f.master!,
      extendedMasterSecret: f.ems,
      createdAt: now,
      issuedAt: now,
      ageAdd: 0,
      maxEarlyData: 0,
      serverName: f.serverName,
      alpn: f.alpn,
    };
  }
}

/** After the handshake: a renegotiating ClientHello is refused, never acted on. */
class Established implements HandshakeState {
  readonly name = 'Established (TLS 1.2)';

  constructor(private readonly ctx: ServerContext) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.client_hello) throw unexpected(msg, this.name);
    // RFC 5246 §7.2.2: no_renegotiation is "sent by [...] the server in response to a client
    // hello after initial handshaking"; "This message is always a warning."
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

import type { HandshakeState } from '../../conn/core.ts';
import { TLS12_GROUPS } from '../../conn/resolve.ts';
import type { KeyShare } from '../../crypto/provider.ts';
import { type HashAlgorithm, hashLength } from '../../crypto/provider.ts';
import { type Tls13Suite, tls13Suite } from '../../crypto/suites.ts';
import { decodeEchConfigList } from '../../ech/config.ts';
import { TlsError } from '../../error.ts';
import { EarlySecret, finishedVerifyData, type HandshakeSecret } from '../../keyschedule/tls13.ts';
import { Transcript } from '../../keyschedule/transcript.ts';
import { decodeCertificate, encodeCertificate } from '../../msgs/certificate.ts';
import { decodeCertificateRequest } from '../../msgs/certificate-request.ts';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../msgs/certificate-verify.ts';
import { type ClientHello, decodeClientHello, encodeClientHello } from '../../msgs/client-hello.ts';
import { decodeEncryptedExtensions } from '../../msgs/encrypted-extensions.ts';
import { encodeEndOfEarlyData } from '../../msgs/end-of-early-data.ts';
import {
  ExtensionType,
  groupName,
  HandshakeType,
  nameOf,
  ProtocolVersion,
  SignatureScheme,
} from '../../msgs/enums.ts';
import { checkAllowed, checkOffered } from '../../msgs/extensions/allowed.ts';
import { decodeAlpnSelected, encodeAlpn } from '../../msgs/extensions/alpn.ts';
import { decodeCookie, encodeCookie } from '../../msgs/extensions/cookie.ts';
import {
  EC_POINT_FORMAT_UNCOMPRESSED,
  encodeEcPointFormats,
} from '../../msgs/extensions/ec-point-formats.ts';
import { decodeEmptyExtension, EMPTY_EXTENSION_DATA } from '../../msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import {
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
} from '../../msgs/extensions/key-share.ts';
import { decodePreSharedKeyServerHello } from '../../msgs/extensions/pre-shared-key.ts';
import { encodeRenegotiationInfo } from '../../msgs/extensions/renegotiation-info.ts';
import { encodeServerName } from '../../msgs/extensions/server-name.ts';
import { encodeSignatureSchemes } from '../../msgs/extensions/signature-algorithms.ts';
import { encodeSupportedGroups } from '../../msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
} from '../../msgs/extensions/supported-versions.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import { encodeHandshake, type HandshakeMessage } from '../../msgs/handshake.ts';
import {
  decodeServerHello,
  isHelloRetryRequest,
  type ServerHello,
} from '../../msgs/server-hello.ts';
import type { StoredSession } from '../../sessions/stored-session.ts';
import { equalBytes, fromUtf8, utf8 } from '../../util/bytes.ts';
import { isIpAddress } from '../../verify/names.ts';
import { certificateSummary, parseCertificate } from '../../verify/x509.ts';
import {
  certificateMessage,
  compressionExtension,
  decompressCertificate,
  offeredAlgorithms,
} from '../cert-compression.ts';
import { certificateVerifyContent, verifyCertificateVerify } from '../certificate-verify.ts';
import { checkPeerChainLimits, verifyPeerChain } from '../peer-chain.ts';
import { peerRecordSizeLimit, recordSizeLimitExtension } from '../record-size-limit.ts';
import {
  type CertificateRequestInfo,
  chooseClientCertificate,
  requestInfo,
} from './client-auth.ts';
import type { ClientContext } from './context.ts';
import {
  type EchOffer,
  echSender,
  greaseEch,
  greasePsk,
  helloRetryAccepts,
  innerEchExtension,
  sealClientHello,
  serverHelloAccepts,
} from './ech.ts';
import {
  bindClientHello,
  type PskOffer,
  preparePsk,
  pskExtensions,
  pskModesExtension,
  storeTicket,
} from './psk13.ts';
import { takeSession } from './session-store.ts';
import { acceptServerHello12 } from './tls12.ts';

/**
 * The TLS 1.3 client handshake (RFC 8446 §2, §4), one state per expected message:
 *
 *   ClientHello ──> ExpectServerHello ──(HRR)──> ExpectServerHello
 *                        │
 *                        v
 *   ExpectEncryptedExtensions ─> ExpectCertificateOrRequest ─> ExpectCertificate
 *        ─> ExpectCertificateVerify ─> ExpectFinished ─> Established
 */

/** What the client remembers between states. */
interface Flight {
  ctx: ClientContext;
  transcript: Transcript;
  hello: ClientHello;
  shares: KeyShare[];
  /** Whether a HelloRetryRequest was received. */
  retried: boolean;
  /** Whether the compatibility-mode CCS has gone out. */
  sentCcs: boolean;
  /** The suite a HelloRetryRequest selected (RFC 8446 §4.1.4). */
  retrySuite?: number;
  /** The TLS 1.3 ticket offered as a PSK, while it may still be used. */
  psk?: PskOffer;
  /** The 0-RTT data sent after the first ClientHello, if any. */
  earlySent?: Uint8Array;
  /** Real ECH: the inner and outer hellos until the server's answer settles which counts. */
  ech?: EchOffer;
  /** GREASE ECH: the fake extension, sent again unchanged after a HelloRetryRequest (§6.2). */
  greaseEch?: Extension;
  /** ECH was rejected: the retry configurations the server sent (ECHConfigList), if any. */
  echRetryConfigs?: Uint8Array;
}

/** Signature schemes the client offers: TLS 1.3 schemes, then PKCS#1 for certificates only. */
export function clientSignatureSchemes(supported: readonly number[]): number[] {
  const preferred = [
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ed25519,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pss_pss_sha256,
    SignatureScheme.rsa_pss_pss_sha384,
    SignatureScheme.rsa_pss_pss_sha512,
    SignatureScheme.rsa_pkcs1_sha256,
    SignatureScheme.rsa_pkcs1_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
  ];
  return preferred.filter((s) => supported.includes(s));
}

/** Builds and sends the first ClientHello; returns the state that waits for ServerHello. */
export async function startClient(ctx: ClientContext): Promise<HandshakeState> {
  const { provider } = ctx;
  const random = provider.random(32);
  ctx.conn.clientRandom = random;
  const offers13 = ctx.maxVersion >= ProtocolVersion.TLSv1_3;
  const shareGroups = offers13 ? ctx.groups.slice(0, Math.max(1, ctx.keyShares)) : [];
  const shares = await Promise.all(shareGroups.map((g) => ctx.group(g).generate()));
  // A session to resume, if the store has one that fits (client/session-store.ts): a TLS 1.3
  // ticket is offered as a PSK (psk13.ts), a TLS 1.2 one as RFC 5077 ticket or session ID.
  const session = await takeSession(ctx);
  const psk =
    session?.version === ProtocolVersion.TLSv1_3
      ? await preparePsk(ctx, session, ctx.earlyData)
      : undefined;
  if (!psk) ctx.offeredSession = session;
  const hello: ClientHello = {
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionId: legacySessionId(ctx, offers13, ctx.offeredSession),
    // TLS 1.3 suites first, then the TLS 1.2 ones when TLS 1.2 is enabled.
    cipherSuites: [...ctx.cipherSuites, ...ctx.tls12Suites],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: [],
  };
  const transcript = new Transcript(provider);
  const flight: Flight = { ctx, transcript, hello, shares, retried: false, sentCcs: false, psk };
  if (ctx.echGrease && offers13) {
    // §6.2: a fake ECH extension about as long as a real one would be.
    const estimate = encodeClientHello({ ...hello, extensions: helloExtensions(flight) }).length;
    flight.greaseEch = await greaseEch(ctx, estimate);
    ctx.conn.info.ech = 'grease';
  }
  hello.extensions = helloExtensions(flight);
  let framed = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  if (psk) framed = await bindClientHello(ctx, psk, framed, undefined);
  transcript.add(framed);
  // ECH (client/ech.ts): what goes on the wire is a ClientHelloOuter sealing this hello.
  const sent = ctx.ech ? await offerEch(flight, framed) : framed;
  await ctx.conn.sendFramed(sent, helloLabel(flight));
  if (psk?.sendsEarlyData) await sendEarlyData(flight, framed);
  return new ExpectServerHello(flight);
}

/**
 * The extensions of the ClientHello the client means (ClientHelloInner when offering ECH):
 * the common ones, the inner ECH marker or a GREASE ECH extension, then the PSK's, last.
 */
function helloExtensions(f: Flight, cookie?: Uint8Array): Extension[] {
  const { ctx } = f;
  const ext = clientExtensions(ctx, f.shares, cookie);
  if (ctx.ech) ext.push(innerEchExtension());
  if (f.greaseEch) ext.push(f.greaseEch);
  if (f.psk) ext.push(...pskExtensions(f.psk, f.retried));
  return ext;
}

/**
 * draft-ietf-tls-esni §6.1: seals the framed ClientHelloInner (binders set) into a
 * ClientHelloOuter for the public name, and returns the outer's framed bytes. The flight keeps
 * both hellos and both transcripts until the server's answer tells which one counts.
 */
async function offerEch(f: Flight, innerFramed: Uint8Array): Promise<Uint8Array> {
  const { ctx } = f;
  const choice = ctx.ech!;
  const sealer = await echSender(choice);
  const inner = decodeClientHello(innerFramed.subarray(4));
  const outerBase = outerHello(f, inner, undefined, ctx.provider.random(32));
  const { outer, framed } = await sealClientHello(ctx, { choice, sealer }, inner, outerBase, true);
  const outerTranscript = new Transcript(ctx.provider);
  outerTranscript.add(framed);
  f.ech = { choice, sealer, inner, innerTranscript: f.transcript, outer, outerTranscript };
  // Key-log lines name the random on the wire.
  ctx.conn.clientRandom = outer.random;
  return framed;
}

/**
 * The ClientHelloOuter around `inner` before sealing (§6.1): the same legacy fields, its own
 * random, the public name in server_name, the shared extensions, early_data when 0-RTT data
 * follows, and a GREASE pre_shared_key when the inner hello offers a PSK (§6.1.2).
 */
function outerHello(
  f: Flight,
  inner: ClientHello,
  cookie: Uint8Array | undefined,
  random: Uint8Array,
): ClientHello {
  const { ctx } = f;
  const publicName = ctx.ech!.config.contents.publicName;
  const extensions = clientExtensions(ctx, f.shares, cookie, publicName);
  const earlyData = findExtension(inner.extensions, ExtensionType.early_data);
  if (earlyData !== undefined) extensions.push({ type: ExtensionType.early_data, data: earlyData });
  const psk = findExtension(inner.extensions, ExtensionType.pre_shared_key);
  if (psk !== undefined) extensions.push(greasePsk(ctx, psk));
  return { ...inner, random, extensions };
}

function helloLabel(f: Flight): string {
  const parts = [f.psk ? 'PSK' : '', f.ech ? 'ECH outer' : '', f.greaseEch ? 'GREASE ECH' : ''];
  const notes = parts.filter((p) => p !== '');
  return notes.length > 0 ? `ClientHello (${notes.join(', ')})` : 'ClientHello';
}

/**
 * RFC 8446 §2.3, §4.2.10: 0-RTT data right after the first ClientHello, under
 * client_early_traffic_secret of the offered PSK, up to the ticket's max_early_data_size.
 */
async function sendEarlyData(f: Flight, clientHello: Uint8Array): Promise<void> {
  const { ctx } = f;
  const { conn } = ctx;
  const psk = f.psk!;
  const data = ctx.earlyData!.subarray(0, psk.session.maxEarlyData);
  const helloHash = await ctx.provider.digest(psk.suite.hash, clientHello);
  const secret = await psk.early.clientEarlyTrafficSecret(helloHash);
  conn.logKey('CLIENT_EARLY_TRAFFIC_SECRET', secret);
  conn.setSuite(psk.suite);
  // Appendix D.4: with early data, the compatibility CCS comes right after the ClientHello.
  if (ctx.middleboxCompat) {
    await conn.sendCompatCcs();
    f.sentCcs = true;
  }
  await conn.setWriteSecret(secret);
  conn.emit('send', 'early data', { bytes: data.length });
  await conn.sendEarlyData(data);
  f.earlySent = data;
}

/**
 * legacy_session_id: RFC 5077 §3.4: with a ticket, a fresh random ID, which the server echoes
 * when it accepts the ticket; RFC 5246 §7.4.1.2: otherwise the ID of the session to resume;
 * RFC 8446 Appendix D.4: else a random one turns on middlebox compatibility.
 */
function legacySessionId(
  ctx: ClientContext,
  offers13: boolean,
  session: StoredSession | undefined,
): Uint8Array {
  if (session?.ticket) return ctx.provider.random(32);
  if (session?.sessionId) return session.sessionId;
  return offers13 && ctx.middleboxCompat ? ctx.provider.random(32) : new Uint8Array(0);
}

function clientExtensions(
  ctx: ClientContext,
  shares: KeyShare[],
  cookie?: Uint8Array,
  serverName = ctx.serverName,
): Extension[] {
  const ext: Extension[] = [];
  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"."
  if (serverName && !isIpAddress(serverName)) {
    ext.push({ type: ExtensionType.server_name, data: encodeServerName(serverName) });
  }
  const offers13 = ctx.maxVersion >= ProtocolVersion.TLSv1_3;
  const offers12 = ctx.minVersion <= ProtocolVersion.TLSv1_2;
  // A TLS 1.2-only hello is a plain TLS 1.2 hello: no supported_versions, no key_share, and only
  // the groups TLS 1.2 can use.
  const groups = offers13 ? ctx.groups : ctx.groups.filter((g) => TLS12_GROUPS.includes(g));
  if (offers13) {
    const versions = offers12
      ? [ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2]
      : [ProtocolVersion.TLSv1_3];
    ext.push({
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsClient(versions),
    });
  }
  ext.push(
    { type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups) },
    {
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureSchemes(ctx.signatureSchemes),
    },
  );
  if (offers13) {
    ext.push({
      type: ExtensionType.key_share,
      data: encodeKeyShareClientHello(
        shares.map((s) => ({ group: s.group, keyExchange: s.publicKey })),
      ),
    });
  }
  if (offers12) {
    ext.push(
      // RFC 8422 §5.1.2: uncompressed points only.
      {
        type: ExtensionType.ec_point_formats,
        data: encodeEcPointFormats([EC_POINT_FORMAT_UNCOMPRESSED]),
      },
      // RFC 7627 §5.1: an empty extended_master_secret.
      { type: ExtensionType.extended_master_secret, data: EMPTY_EXTENSION_DATA },
      // RFC 5746 §3.4: an empty renegotiation_info on the initial handshake.
      {
        type: ExtensionType.renegotiation_info,
        data: encodeRenegotiationInfo(new Uint8Array(0)),
      },
    );
    // RFC 5077 §3.2: an empty session_ticket asks for a ticket; §3.4: a ticket resumes.
    if (ctx.sessionStore) {
      ext.push({
        type: ExtensionType.session_ticket,
        data: ctx.offeredSession?.ticket ?? new Uint8Array(0),
      });
    }
  }
  if (ctx.alpnProtocols.length > 0) {
    ext.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn(ctx.alpnProtocols.map(utf8)),
    });
  }
  if (cookie) ext.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
  // RFC 8449 §4: "Clients SHOULD advertise the "record_size_limit" extension".
  if (ctx.recordSizeLimit !== undefined) {
    ext.push(recordSizeLimitExtension(ctx.recordSizeLimit, !offers13));
  }
  // RFC 8879 §3: the algorithms we can decompress the server's certificate with.
  const compression = offers13 ? compressionExtension(ctx.certCompression) : undefined;
  if (compression) ext.push(compression);
  // RFC 8446 §4.2.9: the modes go with a PSK, and on a full handshake ask for tickets.
  if (offers13 && ctx.sessionStore) ext.push(pskModesExtension(ctx));
  return ext;
}

class ExpectServerHello implements HandshakeState {
  readonly name = 'ExpectServerHello';

  constructor(private readonly f: Flight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.server_hello) throw unexpected(msg, this.name);
    const { hello } = this.f;
    const sh = decodeServerHello(msg.body);

    // RFC 8446 §4.1.3: a ServerHello without supported_versions negotiates TLS 1.2 or older;
    // client/tls12.ts takes over (and refuses it when TLS 1.2 is off).
    const versionExt = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (!versionExt) {
      // §4.1.4: a server that sent a HelloRetryRequest has chosen TLS 1.3.
      if (this.f.retried) {
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: TLS 1.2 ServerHello after HelloRetryRequest');
      }
      // Appendix D.3: "A client that attempts to send 0-RTT data MUST fail a connection if it
      // receives a ServerHello with TLS 1.2 or older."
      if (this.f.earlySent) {
        throw new TlsError('PROTOCOL_VERSION', 'tls: TLS 1.2 ServerHello after 0-RTT data');
      }
      const { ctx, transcript } = this.f;
      return acceptServerHello12({ ctx, transcript, hello }, sh, msg);
    }
    // RFC 8446 §4.2.1: a TLS 1.2-only client offered no supported_versions to answer.
    if (this.f.ctx.maxVersion < ProtocolVersion.TLSv1_3) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected a version not offered');
    }
    // "If the "supported_versions" extension in the ServerHello contains a version not offered
    // by the client or contains a version prior to TLS 1.3, the client MUST abort the handshake
    // with an "illegal_parameter" alert."
    if (decodeSupportedVersionsServer(versionExt) !== ProtocolVersion.TLSv1_3) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected a version not offered');
    }
    // §4.1.3: legacy_session_id_echo must echo ours; the suite must be one we offered;
    // legacy_compression_method must be 0.
    if (!equalBytes(sh.legacySessionId, hello.legacySessionId)) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: legacy_session_id_echo does not match');
    }
    if (!this.f.ctx.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected a cipher suite not offered');
    }
    if (sh.legacyCompressionMethod !== 0) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: non-zero legacy_compression_method');
    }
    const offered = hello.extensions.map((e) => e.type);
    const isHrr = isHelloRetryRequest(sh);
    checkAllowed(HandshakeType.server_hello, sh.extensions, { isHrr });
    checkOffered(offered, sh.extensions, { isHrr });
    if (this.f.ech) await this.settleEch(sh, msg, isHrr);

    if (isHrr) return this.retry(sh, msg);
    return this.accept(sh, msg);
  }

  /**
   * draft-ietf-tls-esni §6.1.4: the first ServerHello or HelloRetryRequest says whether the
   * server accepted ECH; from then on the handshake runs on ClientHelloInner (accepted) or
   * ClientHelloOuter (rejected). A ServerHello after an accepting HelloRetryRequest must accept
   * too, else illegal_parameter.
   */
  private async settleEch(sh: ServerHello, msg: HandshakeMessage, isHrr: boolean): Promise<void> {
    const f = this.f;
    const ech = f.ech!;
    const { info } = f.ctx.conn;
    if (ech.accepted === undefined) {
      ech.innerTranscript.setHash(tls13Suite(sh.cipherSuite)!.hash);
      ech.accepted = isHrr
        ? await helloRetryAccepts(f.ctx, ech, sh)
        : await serverHelloAccepts(f.ctx, ech, msg.raw);
      if (ech.accepted) {
        info.ech = 'accepted';
        f.transcript = ech.innerTranscript;
        f.hello = ech.inner;
      } else {
        rejectEch(f);
      }
    } else if (ech.accepted && !isHrr && !(await serverHelloAccepts(f.ctx, ech, msg.raw))) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: ECH accepted by HelloRetryRequest only');
    }
  }

  /** RFC 8446 §4.1.4: answer a HelloRetryRequest with a second ClientHello. */
  private async retry(hrr: ServerHello, msg: HandshakeMessage): Promise<HandshakeState> {
    const f = this.f;
    const { ctx } = f;
    // "If a client receives a second HelloRetryRequest in the same connection ..., it MUST
    // abort the handshake with an "unexpected_message" alert."
    if (f.retried) throw new TlsError('UNEXPECTED_MESSAGE', 'tls: second HelloRetryRequest');
    f.retried = true;
    ctx.conn.info.helloRetry = true;
    ctx.conn.emit('receive', 'HelloRetryRequest');

    const suite = tls13Suite(hrr.cipherSuite)!;
    f.retrySuite = hrr.cipherSuite;
    // §4.2.10: a HelloRetryRequest rejects 0-RTT data; the second ClientHello goes in the clear.
    if (f.earlySent) {
      ctx.conn.info.earlyData = 'rejected';
      await ctx.conn.clearWriteProtection();
    }
    // §4.1.2: the client may drop "PSKs which are incompatible with the server's indicated
    // cipher suite"; a PSK only fits suites of its own hash (§4.2.11).
    if (f.psk && f.psk.suite.hash !== suite.hash) f.psk = undefined;
    const keyShareExt = findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieExt = findExtension(hrr.extensions, ExtensionType.cookie);
    let group: number | undefined;
    if (keyShareExt) {
      group = decodeKeyShareHelloRetryRequest(keyShareExt);
      // "Upon receipt of this extension in a HelloRetryRequest, the client MUST verify that
      // (1) the selected_group field corresponds to a group which was provided in the
      // "supported_groups" extension in the original ClientHello and (2) the selected_group
      // field does not correspond to a group which was provided in the "key_share" extension
      // in the original ClientHello."
      if (!ctx.groups.includes(group) || f.shares.some((s) => s.group === group)) {
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: HelloRetryRequest selected a bad group');
      }
    }
    // §4.1.4: "Clients MUST abort the handshake with an "illegal_parameter" alert if the
    // HelloRetryRequest would not result in any change in the ClientHello."
    if (group === undefined && !cookieExt) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: HelloRetryRequest changes nothing');
    }

    // §4.4.1: ClientHello1 becomes a synthetic message_hash in the transcript.
    f.transcript.setHash(suite.hash);
    await f.transcript.replaceWithMessageHash();
    f.transcript.add(msg.raw);

    if (group !== undefined) f.shares = [await ctx.group(group).generate()];
    const cookie = cookieExt ? decodeCookie(cookieExt) : undefined;
    // §4.1.2: the PSK goes again, with a new obfuscated_ticket_age and binder. A rejected ECH
    // continues with the outer hello, for the public name (draft-ietf-tls-esni §6.1.6).
    const rejectedEch = f.ech?.accepted === false;
    const extensions = rejectedEch
      ? clientExtensions(ctx, f.shares, cookie, publicName(ctx))
      : helloExtensions(f, cookie);
    f.hello = { ...f.hello, extensions };

    // Appendix D.4: the dummy ChangeCipherSpec goes before the second flight (once).
    if (ctx.middleboxCompat && !f.sentCcs) {
      await ctx.conn.sendCompatCcs();
      f.sentCcs = true;
    }
    let framed = encodeHandshake(HandshakeType.client_hello, encodeClientHello(f.hello));
    if (f.psk) framed = await bindClientHello(ctx, f.psk, framed, f.transcript);
    f.transcript.add(framed);
    let sent = framed;
    if (f.ech?.accepted) {
      // §6.1.5: the second ClientHelloInner goes sealed under the same HPKE context, enc empty.
      const ech = f.ech;
      const outerBase = outerHello(f, f.hello, cookie, ech.outer.random);
      const sealed = await sealClientHello(
        ctx,
        ech,
        decodeClientHello(framed.subarray(4)),
        outerBase,
        false,
      );
      ech.inner = f.hello;
      sent = sealed.framed;
    }
    await ctx.conn.sendFramed(sent, 'ClientHello (retry)');
    return new ExpectServerHello(f);
  }

  private async accept(sh: ServerHello, msg: HandshakeMessage): Promise<HandshakeState> {
    const f = this.f;
    const { ctx } = f;
    // RFC 8446 §4.1.4: the suite in ServerHello must match the one in HelloRetryRequest.
    if (f.retrySuite !== undefined && f.retrySuite !== sh.cipherSuite) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: cipher suite changed after HelloRetryRequest');
    }
    const suite = tls13Suite(sh.cipherSuite)!;
    const resumed = acceptedPsk(f, sh, suite.hash);
    const keyShareExt = findExtension(sh.extensions, ExtensionType.key_share);
    let shared: Uint8Array;
    if (keyShareExt) {
      // §4.2.9: a resumption with a key share is psk_dhe_ke, which must have been offered.
      if (resumed && !ctx.pskModes.includes('psk_dhe_ke')) {
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: server chose psk_dhe_ke, not offered');
      }
      const entry = decodeKeyShareServerHello(keyShareExt);
      // §4.2.8: the server's share must be in a group the client offered a share for.
      const share = f.shares.find((s) => s.group === entry.group);
      if (!share)
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: server key share in a group not offered');
      ctx.conn.info.group = groupName(entry.group);
      shared = await share.complete(entry.keyExchange);
    } else {
      // §9.2: without a PSK the ServerHello needs key_share; a psk_ke resumption has none
      // (§4.2.9), and is only valid when the client offered psk_ke.
      if (!resumed || !ctx.pskModes.includes('psk_ke')) {
        throw new TlsError('MISSING_EXTENSION', 'tls: ServerHello without key_share');
      }
      ctx.conn.info.group = 'none (psk_ke)';
      // §7.1: "If a given secret is not available, then the 0-value consisting of a string of
      // Hash.length bytes set to zeros is used."
      shared = new Uint8Array(hashLength[suite.hash]);
    }

    ctx.conn.setSuite(suite);
    f.transcript.setHash(suite.hash);
    f.transcript.add(msg.raw);
    ctx.conn.info.protocol = 'TLSv1.3';
    ctx.conn.info.cipherSuite = suite.name;
    if (resumed) markResumed(ctx, resumed);
    // §4.2.10: a server that does not resume the PSK does not take its early data.
    if (f.earlySent && !resumed) ctx.conn.info.earlyData = 'rejected';

    const early = resumed ? resumed.early : await EarlySecret.create(ctx.provider, suite.hash);
    const hs = await early.handshake(shared);
    const [clientSecret, serverSecret] = await hs.trafficSecrets(await f.transcript.current());
    ctx.conn.logKey('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientSecret);
    ctx.conn.logKey('SERVER_HANDSHAKE_TRAFFIC_SECRET', serverSecret);
    await ctx.conn.setReadSecret(serverSecret);
    return new ExpectEncryptedExtensions({
      ...f,
      hs,
      clientSecret,
      serverSecret,
      resumed,
      earlyAccepted: false,
    });
  }
}

/**
 * The PSK the ServerHello accepted, if it carries pre_shared_key (RFC 8446 §4.2.11): "Clients
 * MUST verify that the server's selected_identity is within the range supplied by the client,
 * that the server selected a cipher suite indicating a Hash associated with the PSK ...
 * If these values are not consistent, the client MUST abort the handshake with an
 * "illegal_parameter" alert."
 */
function acceptedPsk(f: Flight, sh: ServerHello, hash: HashAlgorithm): PskOffer | undefined {
  const ext = findExtension(sh.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  const selected = decodePreSharedKeyServerHello(ext);
  if (!f.psk || selected !== 0) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: server selected a PSK not offered');
  }
  if (f.psk.suite.hash !== hash) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: server resumed a PSK with another hash');
  }
  return f.psk;
}

/** A resumed connection keeps the server's identity from the session's full handshake. */
function markResumed(ctx: ClientContext, psk: PskOffer): void {
  const { info } = ctx.conn;
  const chain = psk.session.peerCertificates;
  info.resumed = true;
  info.peerCertificates = chain;
  // The chain was verified again before the ticket was offered (session-store.ts).
  info.verification = 'OK';
  info.peerSubject = certificateSummary(chain[0]);
  ctx.conn.emit('state', 'resuming session');
}

/** The flight after ServerHello: handshake secrets are known. */
interface KeyedFlight extends Flight {
  hs: HandshakeSecret;
  clientSecret: Uint8Array;
  serverSecret: Uint8Array;
  /** The CertificateRequest, when the server asked for a certificate. */
  certRequest?: { context: Uint8Array; info: CertificateRequestInfo; compression: number[] };
  peerSpki?: Uint8Array;
  /** The PSK the server accepted: the server authenticates with it, not a certificate. */
  resumed: PskOffer | undefined;
  /** The server accepted the 0-RTT data (EncryptedExtensions carried early_data). */
  earlyAccepted: boolean;
}

class ExpectEncryptedExtensions implements HandshakeState {
  readonly name = 'ExpectEncryptedExtensions';

  constructor(private readonly f: KeyedFlight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.encrypted_extensions) throw unexpected(msg, this.name);
    const { ctx, hello } = this.f;
    const ee = decodeEncryptedExtensions(msg.body);
    checkAllowed(HandshakeType.encrypted_extensions, ee.extensions);
    checkOffered(
      hello.extensions.map((e) => e.type),
      ee.extensions,
    );
    const alpn = findExtension(ee.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const selected = fromUtf8(decodeAlpnSelected(alpn));
      // RFC 7301 §3.1: the server's protocol must be one the client offered.
      if (!ctx.alpnProtocols.includes(selected)) {
        throw new TlsError(
          'ILLEGAL_PARAMETER',
          'tls: server selected an ALPN protocol not offered',
        );
      }
      ctx.conn.info.alpn = selected;
    }
    const sni = findExtension(ee.extensions, ExtensionType.server_name);
    // RFC 6066 §3: the server's acknowledgement is an empty extension.
    if (sni && sni.length !== 0)
      throw new TlsError('DECODE_ERROR', 'tls: non-empty server_name ack');
    checkEarlyDataAnswer(this.f, findExtension(ee.extensions, ExtensionType.early_data));
    // RFC 8449 §4: the server's limit holds for what we send from here on; ours for what it
    // sends, this record included (checkOffered above: it answers only ours).
    const serverLimit = peerRecordSizeLimit(ee.extensions);
    if (serverLimit !== undefined && ctx.recordSizeLimit !== undefined) {
      ctx.conn.limitRecords(serverLimit, ctx.recordSizeLimit, true);
    }
    checkEchRetryConfigs(
      this.f,
      findExtension(ee.extensions, ExtensionType.encrypted_client_hello),
    );
    this.f.transcript.add(msg.raw);
    // §2.2: a PSK handshake has no server Certificate or CertificateVerify, and §4.3.2: "Servers
    // which are authenticating with a PSK MUST NOT send the CertificateRequest message".
    if (this.f.resumed) return new ExpectFinished(this.f);
    return new ExpectCertificateOrRequest(this.f);
  }
}

/**
 * RFC 8446 §4.2.10: EncryptedExtensions says whether the 0-RTT data was accepted. Acceptance is
 * only valid for the first PSK (checked with the ServerHello), the session's cipher suite and
 * its ALPN protocol.
 */
function checkEarlyDataAnswer(f: KeyedFlight, ext: Uint8Array | undefined): void {
  const { info } = f.ctx.conn;
  if (ext === undefined) {
    if (f.earlySent) info.earlyData = 'rejected';
    return;
  }
  decodeEmptyExtension(ExtensionType.early_data, ext);
  const session = f.resumed?.session;
  if (!session || !f.earlySent) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: early_data accepted without a resumed PSK');
  }
  if (f.ctx.conn.suite.code !== session.cipherSuite) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: early data accepted under another suite');
  }
  if (info.alpn !== session.alpn) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: early data accepted under another ALPN');
  }
  f.earlyAccepted = true;
  info.earlyData = 'accepted';
  info.earlyDataBytes = f.earlySent.length;
}

/**
 * draft-ietf-tls-esni §5, §6.1.6, §6.2: encrypted_client_hello in EncryptedExtensions carries
 * retry configurations. After an accepted ECH it is unsupported_extension; it must decode
 * (else decode_error); after a rejected ECH it is kept for the error the handshake ends with;
 * after GREASE it is ignored.
 */
function checkEchRetryConfigs(f: KeyedFlight, ext: Uint8Array | undefined): void {
  if (ext === undefined) return;
  if (f.ech?.accepted) {
    throw new TlsError('UNSUPPORTED_EXTENSION', 'tls: retry_configs after ECH was accepted');
  }
  const configs = decodeEchConfigList(ext);
  // §6.1.6: usable only "if at least one of the values contains a version supported".
  if (f.ech && configs.length > 0) f.echRetryConfigs = ext;
}

class ExpectCertificateOrRequest implements HandshakeState {
  readonly name = 'ExpectCertificateOrCertificateRequest';

  constructor(private readonly f: KeyedFlight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type === HandshakeType.certificate_request) {
      const cr = decodeCertificateRequest(msg.body);
      checkAllowed(HandshakeType.certificate_request, cr.extensions);
      // §4.3.2: in the main handshake the context is empty.
      if (cr.context.length !== 0) {
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: non-empty certificate_request_context');
      }
      // §4.3.2: signature_algorithms is required (checked in requestInfo).
      const info = requestInfo(cr.extensions, this.f.ctx.serverName);
      // RFC 8879 §3: the server's compress_certificate says how it takes our certificate.
      this.f.certRequest = {
        context: cr.context,
        info,
        compression: offeredAlgorithms(cr.extensions),
      };
      this.f.transcript.add(msg.raw);
      return new ExpectCertificate(this.f);
    }
    return new ExpectCertificate(this.f).handle(msg);
  }
}

class ExpectCertificate implements HandshakeState {
  readonly name = 'ExpectCertificate';

  constructor(private readonly f: KeyedFlight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    const { ctx } = this.f;
    // RFC 8879 §4: a CompressedCertificate stands for the Certificate, if we offered any
    // algorithm; the transcript keeps the message as received.
    const compressed =
      msg.type === HandshakeType.compressed_certificate && ctx.certCompression.length > 0;
    if (msg.type !== HandshakeType.certificate && !compressed) throw unexpected(msg, this.name);
    const body = compressed
      ? await decompressCertificate(
          ctx.conn,
          ctx.certCompression,
          msg.body,
          ctx.conn.maxHandshakeMessage,
        )
      : msg.body;
    const cert = decodeCertificate(body);
    checkPeerChainLimits(
      ctx.conn.limitsInEffect,
      cert.entries.map((e) => e.data),
    );
    // RFC 8446 §4.4.2: the server's certificate_request_context is empty.
    if (cert.context.length !== 0) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: server certificate with a request context');
    }
    // §4.4.2.4: "If the server supplies an empty Certificate message, the client MUST abort
    // the handshake with a "decode_error" alert."
    if (cert.entries.length === 0)
      throw new TlsError('DECODE_ERROR', 'tls: server sent no certificate');
    // §4.4.2: CertificateEntry extensions must be ones allowed there and offered in ClientHello.
    const offered = this.f.hello.extensions.map((e) => e.type);
    for (const entry of cert.entries) {
      checkAllowed(HandshakeType.certificate, entry.extensions);
      checkOffered(offered, entry.extensions);
    }
    const chain = cert.entries.map((e) => e.data);
    this.f.transcript.add(msg.raw);
    await verifyPeerChain(ctx.conn.info, chain, () =>
      ctx.verifier.verifyServer(chain, { name: ctx.verifyName }, { provider: ctx.provider }),
    );
    this.f.peerSpki = parseCertificate(chain[0]).spki;
    return new ExpectCertificateVerify(this.f);
  }
}

class ExpectCertificateVerify implements HandshakeState {
  readonly name = 'ExpectCertificateVerify';

  constructor(private readonly f: KeyedFlight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.certificate_verify) throw unexpected(msg, this.name);
    const { ctx } = this.f;
    const cv = decodeCertificateVerify(msg.body);
    await verifyCertificateVerify(ctx.provider, {
      server: true,
      scheme: cv.algorithm,
      signature: cv.signature,
      spki: this.f.peerSpki!,
      offered: ctx.signatureSchemes,
      transcriptHash: await this.f.transcript.current(),
    });
    ctx.conn.info.peerSignatureScheme = nameOf(SignatureScheme, cv.algorithm);
    this.f.transcript.add(msg.raw);
    return new ExpectFinished(this.f);
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = 'ExpectFinished';

  constructor(private readonly f: KeyedFlight) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.finished) throw unexpected(msg, this.name);
    const f = this.f;
    const { ctx, transcript } = f;
    const { conn, provider } = ctx;
    const hash = transcript.hash;

    // RFC 8446 §4.4.4: verify the server's Finished over the transcript so far.
    const expected = await finishedVerifyData(
      provider,
      hash,
      f.serverSecret,
      await transcript.current(),
    );
    const finished = decodeFinished(msg.body, expected.length);
    if (!equalBytes(finished, expected)) {
      throw new TlsError('DECRYPT_ERROR', 'tls: server Finished does not verify');
    }
    transcript.add(msg.raw);

    // §7.1: application secrets over ClientHello..server Finished.
    const master = await f.hs.master();
    const serverFinishedHash = await transcript.current();
    const [clientApp, serverApp] = await master.trafficSecrets(serverFinishedHash);
    conn.logKey('CLIENT_TRAFFIC_SECRET_0', clientApp);
    conn.logKey('SERVER_TRAFFIC_SECRET_0', serverApp);
    const exporterSecret = await master.exporterSecret(serverFinishedHash);
    conn.logKey('EXPORTER_SECRET', exporterSecret);
    conn.exporter = { version: 'TLSv1.3', hash, exporterSecret };

    // Appendix D.4: the dummy ChangeCipherSpec precedes the client's encrypted flight.
    if (ctx.middleboxCompat && !f.sentCcs) await conn.sendCompatCcs();
    // §4.5: after accepted 0-RTT data, EndOfEarlyData under the early key ends it.
    if (f.earlyAccepted) {
      transcript.add(
        await conn.sendHandshake(
          HandshakeType.end_of_early_data,
          encodeEndOfEarlyData(),
          'EndOfEarlyData',
        ),
      );
    }
    await conn.setWriteSecret(f.clientSecret);
    if (f.certRequest) await sendClientCertificate(f);
    const verifyData = await finishedVerifyData(
      provider,
      hash,
      f.clientSecret,
      await transcript.current(),
    );
    transcript.add(
      await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
    );
    await conn.setWriteSecret(clientApp);
    await conn.setReadSecret(serverApp);
    // draft-ietf-tls-esni §6.1.6: a handshake with ClientHelloOuter authenticated only the
    // public name; it ends here with ech_required, carrying the retry configurations.
    if (f.ech?.accepted === false) {
      throw new TlsError(
        'ECH_REQUIRED',
        f.echRetryConfigs
          ? 'tls: the server rejected ECH and sent retry configurations'
          : 'tls: the server rejected ECH and sent no retry configurations (ECH disabled)',
        { echRetryConfigs: f.echRetryConfigs },
      );
    }
    // §7.1: resumption_master_secret over ClientHello..client Finished, for the tickets.
    const resumption = ctx.sessionStore
      ? { suite: conn.suite, secret: await master.resumptionSecret(await transcript.current()) }
      : undefined;
    conn.markEstablished();
    await sendAfterHandshake(f);
    return new Established(ctx, resumption);
  }
}

/**
 * The early data that did not go as 0-RTT: the part beyond max_early_data_size of accepted
 * data always follows; rejected or unsent data only when the application asked for it.
 */
async function sendAfterHandshake(f: KeyedFlight): Promise<void> {
  const { ctx } = f;
  const data = ctx.earlyData;
  if (!data || data.length === 0) return;
  if (f.earlyAccepted) {
    const rest = data.subarray(f.earlySent!.length);
    if (rest.length > 0) await ctx.conn.write(rest);
  } else if (ctx.resendEarlyData) {
    ctx.conn.emit('send', 'early data sent again after the handshake', { bytes: data.length });
    await ctx.conn.write(data);
  }
}

/**
 * RFC 8446 §4.4.2, §4.4.3: answers a CertificateRequest with Certificate (empty when there is
 * no suitable certificate) and, when a certificate was sent, CertificateVerify.
 */
async function sendClientCertificate(f: KeyedFlight): Promise<void> {
  const { ctx, transcript } = f;
  const { conn } = ctx;
  const request = f.certRequest!;
  // draft-ietf-tls-esni §6.1.7: to a server that rejected ECH, an empty Certificate.
  const chosen =
    f.ech?.accepted === false
      ? undefined
      : await chooseClientCertificate(ctx.clientCertificate, ctx.clientCertResolver, request.info);
  // §4.4.2: "certificate_request_context: ... the value of certificate_request_context in the
  // CertificateRequest"; §4.4.2.4: no suitable certificate → an empty certificate_list.
  const certificate = encodeCertificate({
    context: request.context,
    entries: (chosen?.cert.chain ?? []).map((data) => ({ data, extensions: [] })),
  });
  // RFC 8879 §4: compressed when the server asked for an algorithm we compress with.
  const message = chosen
    ? await certificateMessage(
        conn,
        ctx.certCompression,
        request.compression,
        certificate,
        request.context.length === 0 ? chosen.cert : undefined,
      )
    : { type: HandshakeType.certificate, body: certificate, name: 'Certificate' };
  transcript.add(await conn.sendHandshake(message.type, message.body, message.name));
  if (!chosen) return;

  // §4.4.3: the client signs with the "TLS 1.3, client CertificateVerify" context.
  const content = certificateVerifyContent(false, await transcript.current());
  const signature = await chosen.cert.key.sign(chosen.scheme, content);
  transcript.add(
    await conn.sendHandshake(
      HandshakeType.certificate_verify,
      encodeCertificateVerify({ algorithm: chosen.scheme, signature }),
      'CertificateVerify',
    ),
  );
}

/**
 * After the handshake the server may send NewSessionTicket (RFC 8446 §4.6.1): each is kept in
 * the session store, when there is one. KeyUpdate is the connection's business.
 */
class Established implements HandshakeState {
  readonly name = 'Established';

  constructor(
    private readonly ctx: ClientContext,
    private readonly resumption: { suite: Tls13Suite; secret: Uint8Array } | undefined,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.new_session_ticket) throw unexpected(msg, this.name);
    if (this.resumption) await storeTicket(this.ctx, msg.body, this.resumption);
    return this;
  }
}

/** The public name of the ECH configuration offered. */
function publicName(ctx: ClientContext): string {
  return ctx.ech!.config.contents.publicName;
}

/**
 * draft-ietf-tls-esni §6.1.6: ECH rejected: the handshake continues with ClientHelloOuter, is
 * authenticated for the public name, offers no PSK (the outer one was GREASE), takes no early
 * data, and ends with ech_required.
 */
function rejectEch(f: Flight): void {
  const { ctx } = f;
  const ech = f.ech!;
  ctx.conn.info.ech = 'rejected';
  f.transcript = ech.outerTranscript;
  f.hello = ech.outer;
  f.psk = undefined;
  if (f.earlySent) ctx.conn.info.earlyData = 'rejected';
  ctx.verifyName = publicName(ctx);
}

function unexpected(msg: HandshakeMessage, state: string): TlsError {
  return new TlsError(
    'UNEXPECTED_MESSAGE',
    `tls: unexpected ${nameOf(HandshakeType, msg.type, 2)} in ${state}`,
  );
}

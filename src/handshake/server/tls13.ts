import type { CertifiedKey } from '../../config.ts';
import type { HandshakeState } from '../../conn/core.ts';
import { hashLength } from '../../crypto/provider.ts';
import { type Tls13Suite, tls13Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import { EarlySecret, finishedVerifyData, type MasterSecret } from '../../keyschedule/tls13.ts';
import { Transcript } from '../../keyschedule/transcript.ts';
import { encodeCertificate } from '../../msgs/certificate.ts';
import { encodeCertificateVerify } from '../../msgs/certificate-verify.ts';
import { type ClientHello, decodeClientHello } from '../../msgs/client-hello.ts';
import { encodeEncryptedExtensions } from '../../msgs/encrypted-extensions.ts';
import { decodeEndOfEarlyData } from '../../msgs/end-of-early-data.ts';
import {
  ExtensionType,
  groupName,
  HandshakeType,
  nameOf,
  ProtocolVersion,
} from '../../msgs/enums.ts';
import { checkAllowed } from '../../msgs/extensions/allowed.ts';
import { decodeAlpn, encodeAlpnSelected } from '../../msgs/extensions/alpn.ts';
import { decodeCookie, encodeCookie } from '../../msgs/extensions/cookie.ts';
import { EMPTY_EXTENSION_DATA } from '../../msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
  type KeyShareEntry,
} from '../../msgs/extensions/key-share.ts';
import { encodePreSharedKeyServerHello } from '../../msgs/extensions/pre-shared-key.ts';
import { decodeServerName } from '../../msgs/extensions/server-name.ts';
import { decodeSignatureSchemes } from '../../msgs/extensions/signature-algorithms.ts';
import { decodeSupportedGroups } from '../../msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
} from '../../msgs/extensions/supported-versions.ts';
import { decodeFinished, encodeFinished } from '../../msgs/finished.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import { encodeServerHello, HELLO_RETRY_REQUEST_RANDOM } from '../../msgs/server-hello.ts';
import { equalBytes, fromUtf8, utf8 } from '../../util/bytes.ts';
import { certificateMessage, offeredAlgorithms } from '../cert-compression.ts';
import { certificateVerifyContent } from '../certificate-verify.ts';
import { answerRecordSizeLimit } from '../record-size-limit.ts';
import { certificateRequest, ExpectClientCertificate, type SentRequest } from './client-auth.ts';
import type { ServerContext } from './context.ts';
import {
  confirmHelloRetry,
  confirmServerHello,
  type EchDecision,
  openClientHello,
  reopenClientHello,
  retryConfigsExtension,
} from './ech.ts';
import {
  acceptsEarlyData,
  type ChosenPsk,
  choosePsk,
  clientWantsTickets,
  issueTickets,
  resumesSessions,
} from './psk13.ts';
import { selectCertificate } from './select-certificate.ts';
import { chooseVersion, respondTls12 } from './tls12.ts';

/**
 * The TLS 1.3 server handshake (RFC 8446 §2, §4):
 *
 *   ExpectClientHello ─(HRR)─> ExpectClientHello (retry) ─> [ServerHello..Finished sent]
 *        ──(CertificateRequest sent)──> ExpectClientCertificate
 *        ──> ExpectClientCertificateVerify ──> ExpectFinished ──> Established
 */

/** What a HelloRetryRequest committed the server to (RFC 8446 §4.1.4). */
interface Retry {
  /** The group asked for, or undefined when the HRR only carried a cookie. */
  group: number | undefined;
  suite: number;
  cookie?: Uint8Array;
  transcript: Transcript;
  sentCcs: boolean;
  /** The ECH decision on the first ClientHello, when it carried the extension. */
  ech?: EchDecision;
}

/** The parts of a ClientHello the server acts on, decoded and checked. */
interface Offer {
  hello: ClientHello;
  suite: number;
  groups: number[];
  shares: KeyShareEntry[];
  schemes: number[];
  serverName?: string;
  alpn?: string[];
  cookie?: Uint8Array;
  /** The ECH decision (server/ech.ts), when the ClientHello carried encrypted_client_hello. */
  ech?: EchDecision;
}

export class ExpectClientHello implements HandshakeState {
  readonly name: string;

  constructor(
    private readonly ctx: ServerContext,
    private readonly retry?: Retry,
  ) {
    this.name = retry ? 'ExpectClientHello (retry)' : 'ExpectClientHello';
  }

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.client_hello) throw unexpected(msg, this.name);
    const { ctx, retry } = this;
    // ECH (server/ech.ts): a ClientHelloOuter that one of our keys opens is replaced by its
    // ClientHelloInner, for everything from here on, the transcript included.
    const received = decodeClientHello(msg.body);
    const { hello, raw, ech } = !retry
      ? await openClientHello(ctx, received, msg.raw)
      : retry.ech?.accepted
        ? await reopenClientHello(retry.ech, received)
        : { hello: received, raw: msg.raw, ech: retry.ech };
    // Version negotiation on the first ClientHello; server/tls12.ts answers TLS 1.2.
    if (!retry && chooseVersion(ctx, hello) === ProtocolVersion.TLSv1_2) {
      ctx.conn.clientRandom = hello.random.slice(); // a view would keep the whole ClientHello
      return respondTls12(ctx, hello, msg, chooseAlpn);
    }
    const offer = this.parse(hello);
    offer.ech = ech;
    ctx.conn.clientRandom = offer.hello.random.slice(); // not a view into the ClientHello
    if (offer.serverName !== undefined) ctx.conn.info.serverName = offer.serverName;

    // A ticket to resume (psk13.ts), found before the transcript hash is fixed: on a first
    // ClientHello a ticket brings its own suite, which 0-RTT needs.
    const psk = await choosePsk(ctx, hello, raw, offer.serverName, retry?.suite, retry?.transcript);
    if (psk) offer.suite = psk.suite.code;
    const transcript = retry?.transcript ?? new Transcript(ctx.provider);
    transcript.setHash(tls13Suite(offer.suite)!.hash);
    transcript.add(raw);

    if (retry) {
      // RFC 8446 §4.1.2: the second ClientHello answers the HelloRetryRequest: one key share,
      // in the selected group; the same cookie; a suite consistent with the HRR.
      const share =
        retry.group === undefined
          ? preferredShare(ctx.groups, offer.shares)
          : offer.shares.length === 1
            ? offer.shares[0]
            : undefined;
      if (!share || (retry.group !== undefined && share.group !== retry.group)) {
        throw new TlsError(
          'ILLEGAL_PARAMETER',
          'tls: retried ClientHello without the requested key share',
        );
      }
      if (retry.cookie && !(offer.cookie && equalBytes(offer.cookie, retry.cookie))) {
        throw new TlsError('ILLEGAL_PARAMETER', 'tls: retried ClientHello with a wrong cookie');
      }
      if (offer.suite !== retry.suite) {
        throw new TlsError(
          'ILLEGAL_PARAMETER',
          'tls: retried ClientHello changed the cipher suites',
        );
      }
      return this.respond(offer, share, transcript, { sentCcs: retry.sentCcs, retried: true, psk });
    }

    // §4.2.8: use a key share the client sent in a group we accept, in our preference order;
    // otherwise ask for one in our most preferred common group. A psk_ke resumption needs none.
    const share = preferredShare(ctx.groups, offer.shares);
    const first = { sentCcs: false, retried: false, psk };
    if (!ctx.requireCookie && psk?.mode === 'psk_ke') {
      return this.respond(offer, undefined, transcript, first);
    }
    if (share && !ctx.requireCookie) return this.respond(offer, share, transcript, first);
    if (share) return this.helloRetry(offer, undefined, transcript, psk);
    // §9.2: a ClientHello that resumes without (EC)DHE may omit supported_groups; any other
    // must carry it.
    if (offer.groups.length === 0) {
      throw new TlsError('MISSING_EXTENSION', 'tls: ClientHello lacks supported_groups');
    }
    const group = ctx.groups.find((g) => offer.groups.includes(g));
    if (group === undefined) {
      throw new TlsError('HANDSHAKE_FAILURE', 'tls: no key-exchange group in common');
    }
    return this.helloRetry(offer, group, transcript, psk);
  }

  /** Decodes and checks the ClientHello fields the server relies on. */
  private parse(hello: ClientHello): Offer {
    const { ctx } = this;
    checkAllowed(HandshakeType.client_hello, hello.extensions);
    const ext = (type: number) => findExtension(hello.extensions, type);

    // RFC 8446 §4.2.1: without supported_versions the client offers TLS 1.2 or older.
    const versions = ext(ExtensionType.supported_versions);
    if (!versions || !decodeSupportedVersionsClient(versions).includes(ProtocolVersion.TLSv1_3)) {
      throw new TlsError('PROTOCOL_VERSION', 'tls: client does not offer TLS 1.3');
    }
    // §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain exactly one byte, set to
    // zero ... [otherwise] the server MUST abort the handshake with an "illegal_parameter"".
    const methods = hello.legacyCompressionMethods;
    if (methods.length !== 1 || methods[0] !== 0) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: TLS 1.3 ClientHello with compression');
    }
    const suite = ctx.cipherSuites.find((s) => hello.cipherSuites.includes(s));
    if (suite === undefined)
      throw new TlsError('HANDSHAKE_FAILURE', 'tls: no cipher suite in common');

    // §9.2: "If not containing a "pre_shared_key" extension, it MUST contain both a
    // "signature_algorithms" extension and a "supported_groups" extension. If containing a
    // "supported_groups" extension, it MUST also contain a "key_share" extension, and vice
    // versa." Otherwise "missing_extension".
    const sigAlgs = ext(ExtensionType.signature_algorithms);
    const groupsExt = ext(ExtensionType.supported_groups);
    const keyShare = ext(ExtensionType.key_share);
    const hasPsk = ext(ExtensionType.pre_shared_key) !== undefined;
    if ((!hasPsk && (!sigAlgs || !groupsExt)) || !groupsExt !== !keyShare) {
      throw new TlsError(
        'MISSING_EXTENSION',
        'tls: ClientHello lacks signature_algorithms, supported_groups or key_share',
      );
    }
    const groups = groupsExt ? decodeSupportedGroups(groupsExt) : [];
    const shares = keyShare ? decodeKeyShareClientHello(keyShare) : [];
    // §4.2.8: "Clients MUST NOT offer any KeyShareEntry values for groups not listed in the
    // client's "supported_groups" extension."
    if (shares.some((s) => !groups.includes(s.group))) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: key share for a group not in supported_groups');
    }
    const sni = ext(ExtensionType.server_name);
    const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
    const cookie = ext(ExtensionType.cookie);
    return {
      hello,
      suite,
      groups,
      shares,
      schemes: sigAlgs ? decodeSignatureSchemes(sigAlgs) : [],
      serverName: sni ? decodeServerName(sni) : undefined,
      alpn: alpn ? decodeAlpn(alpn).map((p) => fromUtf8(p)) : undefined,
      cookie: cookie ? decodeCookie(cookie) : undefined,
    };
  }

  /** RFC 8446 §4.1.4: send a HelloRetryRequest and wait for the second ClientHello. */
  private async helloRetry(
    offer: Offer,
    group: number | undefined,
    transcript: Transcript,
    psk: ChosenPsk | undefined,
  ): Promise<HandshakeState> {
    const { ctx } = this;
    ctx.conn.info.helloRetry = true;
    // §4.2.10: a HelloRetryRequest rejects 0-RTT data; the records before the second
    // ClientHello are skipped.
    rejectEarlyData(ctx, offer, psk);
    await transcript.replaceWithMessageHash();
    const extensions: Extension[] = [
      {
        type: ExtensionType.supported_versions,
        data: encodeSupportedVersionsServer(ProtocolVersion.TLSv1_3),
      },
    ];
    // §4.2.8: key_share names a group only when the client must send a new share.
    if (group !== undefined) {
      extensions.push({
        type: ExtensionType.key_share,
        data: encodeKeyShareHelloRetryRequest(group),
      });
    }
    const cookie = ctx.requireCookie ? ctx.provider.random(32) : undefined;
    if (cookie) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
    const encode = (more: Extension[]) =>
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLSv1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacySessionId: offer.hello.legacySessionId,
        cipherSuite: offer.suite,
        legacyCompressionMethod: 0,
        extensions: [...extensions, ...more],
      });
    // draft-ietf-tls-esni §7.2.1: an accepting HelloRetryRequest carries the confirmation.
    const hrr = offer.ech?.accepted
      ? await confirmHelloRetry(ctx, offer.ech, transcript.hash, transcript, (e) => encode([e]))
      : encode([]);
    transcript.add(
      await ctx.conn.sendHandshake(HandshakeType.server_hello, hrr, 'HelloRetryRequest'),
    );
    // Appendix D.4: in compatibility mode the CCS follows the server's first handshake message.
    const sentCcs = offer.hello.legacySessionId.length > 0;
    if (sentCcs) await ctx.conn.sendCompatCcs();
    return new ExpectClientHello(ctx, {
      group,
      suite: offer.suite,
      cookie,
      transcript,
      sentCcs,
      ech: offer.ech,
    });
  }

  /**
   * Sends ServerHello through Finished (RFC 8446 §2 flight 2; §2.2 without Certificate and
   * CertificateVerify when resuming a PSK).
   */
  private async respond(
    offer: Offer,
    share: KeyShareEntry | undefined,
    transcript: Transcript,
    how: { sentCcs: boolean; retried: boolean; psk: ChosenPsk | undefined },
  ): Promise<HandshakeState> {
    const { ctx } = this;
    const { conn, provider } = ctx;
    const { psk } = how;
    const suite = tls13Suite(offer.suite)!;
    conn.setSuite(suite);
    conn.info.protocol = 'TLSv1.3';
    conn.info.cipherSuite = suite.name;
    conn.info.group = share ? groupName(share.group) : 'none (psk_ke)';
    conn.info.resumed = psk !== undefined;

    // Decide everything that can fail before anything is sent.
    const alpn = chooseAlpn(ctx.alpnProtocols, offer.alpn);
    // §9.2: a full handshake needs the client's signature_algorithms.
    if (!psk && offer.schemes.length === 0) {
      throw new TlsError('MISSING_EXTENSION', 'tls: ClientHello lacks signature_algorithms');
    }
    const certified = psk
      ? undefined
      : selectCertificate(ctx.certificates, offer.serverName, offer.schemes);
    // §7.1: psk_ke has no (EC)DHE input: the 0-value of Hash.length zero bytes.
    const { share: serverShare, secret } = share
      ? await ctx.group(share.group).encapsulate(share.keyExchange)
      : { share: undefined, secret: new Uint8Array(hashLength[suite.hash]) };
    const helloHash = await transcript.current();
    const earlyAccepted =
      psk !== undefined &&
      !how.retried &&
      sentEarlyData(offer) &&
      (await acceptsEarlyData(ctx, psk, alpn));
    if (!earlyAccepted) rejectEarlyData(ctx, offer, psk);

    // 1. ServerHello, in the clear; after accepted ECH its random ends with the confirmation.
    let sh = encodeServerHello({
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: provider.random(32),
      legacySessionId: offer.hello.legacySessionId,
      cipherSuite: offer.suite,
      legacyCompressionMethod: 0,
      extensions: serverHelloExtensions(share, serverShare, psk),
    });
    if (offer.ech?.accepted) {
      sh = await confirmServerHello(ctx, offer.ech, suite.hash, transcript, sh);
    }
    transcript.add(await conn.sendHandshake(HandshakeType.server_hello, sh, 'ServerHello'));
    if (!how.sentCcs && offer.hello.legacySessionId.length > 0) await conn.sendCompatCcs();

    // 2. Handshake keys (§7.1), from the PSK's early secret when resuming.
    const early = psk ? psk.early : await EarlySecret.create(provider, suite.hash);
    const hs = await early.handshake(secret);
    const [clientSecret, serverSecret] = await hs.trafficSecrets(await transcript.current());
    conn.logKey('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientSecret);
    conn.logKey('SERVER_HANDSHAKE_TRAFFIC_SECRET', serverSecret);
    await conn.setWriteSecret(serverSecret);

    // 3. EncryptedExtensions.
    const ee: Extension[] = [];
    if (alpn !== undefined) {
      conn.info.alpn = alpn;
      ee.push({
        type: ExtensionType.application_layer_protocol_negotiation,
        data: encodeAlpnSelected(utf8(alpn)),
      });
    }
    // RFC 6066 §3: acknowledge a server_name we used with an empty extension.
    if (offer.serverName !== undefined)
      ee.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    // §4.2.10: accepted 0-RTT data is announced by an empty early_data extension.
    if (earlyAccepted) ee.push({ type: ExtensionType.early_data, data: EMPTY_EXTENSION_DATA });
    // draft-ietf-tls-esni §7.1: ECH offered and not accepted: the retry configurations.
    const retryConfigs = offer.ech && !offer.ech.accepted ? retryConfigsExtension(ctx) : undefined;
    if (retryConfigs) ee.push(retryConfigs);
    // RFC 8449 §4: a client's record_size_limit answered with ours; from EncryptedExtensions
    // on, our records fit its limit.
    const limit = answerRecordSizeLimit(conn, ctx.recordSizeLimit, offer.hello.extensions, false);
    if (limit) ee.push(limit);
    transcript.add(
      await conn.sendHandshake(
        HandshakeType.encrypted_extensions,
        encodeEncryptedExtensions({ extensions: ee }),
        'EncryptedExtensions',
      ),
    );

    // 4. CertificateRequest when clients authenticate (§4.3.2), then Certificate and
    // CertificateVerify (§4.4.2, §4.4.3); none of them when resuming a PSK (§2.2).
    const request = certified
      ? await sendCertificate(ctx, transcript, certified, offer.hello)
      : undefined;

    // 5. Finished, then application write keys.
    const verifyData = await finishedVerifyData(
      provider,
      suite.hash,
      serverSecret,
      await transcript.current(),
    );
    transcript.add(
      await conn.sendHandshake(HandshakeType.finished, encodeFinished(verifyData), 'Finished'),
    );
    const master = await hs.master();
    const finishedHash = await transcript.current();
    const [clientApp, serverApp] = await master.trafficSecrets(finishedHash);
    conn.logKey('CLIENT_TRAFFIC_SECRET_0', clientApp);
    conn.logKey('SERVER_TRAFFIC_SECRET_0', serverApp);
    const exporterSecret = await master.exporterSecret(finishedHash);
    conn.logKey('EXPORTER_SECRET', exporterSecret);
    conn.exporter = { version: 'TLSv1.3', hash: suite.hash, exporterSecret };
    await conn.setWriteSecret(serverApp);
    const keys: Keys = { transcript, master, clientSecret, clientApp, suite, alpn, offer };
    const finished = new ExpectFinished(ctx, keys);
    if (earlyAccepted) {
      // §2.3: the client's 0-RTT data follows its ClientHello under client_early_traffic_secret,
      // up to the max_early_data_size its ticket allows, then EndOfEarlyData.
      const earlySecret = await psk.early.clientEarlyTrafficSecret(helloHash);
      conn.logKey('CLIENT_EARLY_TRAFFIC_SECRET', earlySecret);
      await conn.setReadSecret(earlySecret);
      conn.acceptEarlyData(psk.state.maxEarlyData);
      conn.info.earlyData = 'accepted';
      return new ExpectEndOfEarlyData(ctx, clientSecret, finished);
    }
    await conn.setReadSecret(clientSecret);
    // §4.4.2: a client asked for a certificate answers with Certificate (and CertificateVerify)
    // before its Finished.
    if (ctx.clientAuth && request) {
      return new ExpectClientCertificate(ctx, ctx.clientAuth, request, transcript, finished);
    }
    return finished;
  }
}

/**
 * Sends CertificateRequest (when clients authenticate), Certificate and CertificateVerify;
 * returns the request sent, if any.
 */
async function sendCertificate(
  ctx: ServerContext,
  transcript: Transcript,
  certified: { cert: CertifiedKey; scheme: number },
  hello: ClientHello,
): Promise<SentRequest | undefined> {
  const { conn } = ctx;
  const { cert, scheme } = certified;
  let request: SentRequest | undefined;
  if (ctx.clientAuth) {
    const cr = certificateRequest(ctx, ctx.clientAuth);
    request = cr.sent;
    transcript.add(
      await conn.sendHandshake(HandshakeType.certificate_request, cr.body, 'CertificateRequest'),
    );
  }
  const certificate = encodeCertificate({
    context: new Uint8Array(0),
    entries: cert.chain.map((data) => ({ data, extensions: [] })),
  });
  // RFC 8879 §4: compressed with the first of our algorithms the client lists, each chain
  // compressed once per algorithm.
  const message = await certificateMessage(
    conn,
    ctx.certCompression,
    offeredAlgorithms(hello.extensions),
    certificate,
    cert,
  );
  transcript.add(await conn.sendHandshake(message.type, message.body, message.name));
  const content = certificateVerifyContent(true, await transcript.current());
  const signature = await cert.key.sign(scheme, content);
  transcript.add(
    await conn.sendHandshake(
      HandshakeType.certificate_verify,
      encodeCertificateVerify({ algorithm: scheme, signature }),
      'CertificateVerify',
    ),
  );
  return request;
}

/** ServerHello's extensions: the version, the key share (unless psk_ke), the chosen PSK. */
function serverHelloExtensions(
  share: KeyShareEntry | undefined,
  serverShare: Uint8Array | undefined,
  psk: ChosenPsk | undefined,
): Extension[] {
  const extensions: Extension[] = [
    {
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsServer(ProtocolVersion.TLSv1_3),
    },
  ];
  if (share && serverShare) {
    extensions.push({
      type: ExtensionType.key_share,
      data: encodeKeyShareServerHello({ group: share.group, keyExchange: serverShare }),
    });
  }
  if (psk) {
    extensions.push({
      type: ExtensionType.pre_shared_key,
      data: encodePreSharedKeyServerHello(psk.index),
    });
  }
  return extensions;
}

/** Whether the ClientHello announced 0-RTT data (§4.2.10). */
function sentEarlyData(offer: Offer): boolean {
  return findExtension(offer.hello.extensions, ExtensionType.early_data) !== undefined;
}

/**
 * §4.2.10: when early data is not taken, "Skip past early data by attempting to deprotect
 * received records using the handshake traffic key, discarding records which fail deprotection
 * (up to the configured max_early_data_size)".
 */
function rejectEarlyData(ctx: ServerContext, offer: Offer, psk: ChosenPsk | undefined): void {
  if (!sentEarlyData(offer)) return;
  ctx.conn.info.earlyData = 'rejected';
  const budget = Math.max(ctx.maxEarlyData, psk?.state.maxEarlyData ?? 0, EARLY_SKIP_MIN);
  ctx.conn.skipEarlyData(budget);
}

/** The least early data a rejecting server skips: one full record's worth. */
const EARLY_SKIP_MIN = 16384;

/** The client's share in the group we like best, if it sent one we accept (§4.2.8). */
function preferredShare(
  ours: readonly number[],
  shares: KeyShareEntry[],
): KeyShareEntry | undefined {
  for (const g of ours) {
    const share = shares.find((s) => s.group === g);
    if (share) return share;
  }
  return undefined;
}

/** RFC 7301 §3.2: the server's most preferred protocol that the client offers. */
function chooseAlpn(ours: readonly string[], theirs: string[] | undefined): string | undefined {
  if (!theirs || ours.length === 0) return undefined;
  const chosen = ours.find((p) => theirs.includes(p));
  // "the server SHALL respond with a fatal "no_application_protocol" alert."
  if (chosen === undefined)
    throw new TlsError('NO_APPLICATION_PROTOCOL', 'tls: no ALPN protocol in common');
  return chosen;
}

interface Keys {
  transcript: Transcript;
  master: MasterSecret;
  clientSecret: Uint8Array;
  clientApp: Uint8Array;
  suite: Tls13Suite;
  alpn: string | undefined;
  offer: Offer;
}

/**
 * RFC 8446 §4.5: after accepted 0-RTT data, EndOfEarlyData (under the early key) ends it; the
 * client's handshake key takes over. Any other handshake message is unexpected_message.
 */
class ExpectEndOfEarlyData implements HandshakeState {
  readonly name = 'ExpectEndOfEarlyData';

  constructor(
    private readonly ctx: ServerContext,
    private readonly clientSecret: Uint8Array,
    private readonly next: ExpectFinished,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.end_of_early_data) throw unexpected(msg, this.name);
    decodeEndOfEarlyData(msg.body);
    const { conn } = this.ctx;
    this.next.addToTranscript(msg.raw);
    conn.endEarlyData();
    await conn.setReadSecret(this.clientSecret);
    return this.next;
  }
}

class ExpectFinished implements HandshakeState {
  readonly name = 'ExpectFinished';

  constructor(
    private readonly ctx: ServerContext,
    private readonly keys: Keys,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    if (msg.type !== HandshakeType.finished) throw unexpected(msg, this.name);
    const { conn, provider } = this.ctx;
    const { transcript, clientSecret } = this.keys;
    const expected = await finishedVerifyData(
      provider,
      transcript.hash,
      clientSecret,
      await transcript.current(),
    );
    // RFC 8446 §4.4.4: a Finished that does not verify ends with "decrypt_error".
    if (!equalBytes(decodeFinished(msg.body, expected.length), expected)) {
      throw new TlsError('DECRYPT_ERROR', 'tls: client Finished does not verify');
    }
    transcript.add(msg.raw);
    await conn.setReadSecret(this.keys.clientApp);
    conn.markEstablished();
    // §4.6.1: tickets after the client's Finished, from resumption_master_secret (§7.1).
    const { suite, alpn, offer, master } = this.keys;
    if (
      resumesSessions(this.ctx) &&
      this.ctx.sessionTickets > 0 &&
      clientWantsTickets(this.ctx, offer.hello)
    ) {
      const resumptionSecret = await master.resumptionSecret(await transcript.current());
      await issueTickets(this.ctx, {
        suite,
        resumptionSecret,
        serverName: offer.serverName,
        alpn,
      });
    }
    return new Established();
  }

  /** For EndOfEarlyData, which comes before the Finished in the transcript. */
  addToTranscript(raw: Uint8Array): void {
    this.keys.transcript.add(raw);
  }
}

/** After the handshake, a client sends only KeyUpdate (handled by the connection). */
class Established implements HandshakeState {
  readonly name = 'Established';

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    throw unexpected(msg, this.name);
  }
}

function unexpected(msg: HandshakeMessage, state: string): TlsError {
  return new TlsError(
    'UNEXPECTED_MESSAGE',
    `tls: unexpected ${nameOf(HandshakeType, msg.type, 2)} in ${state}`,
  );
}

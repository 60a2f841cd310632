import { hashLength } from '../../crypto/provider.ts';
import { type Tls13Suite, tls13Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import { EarlySecret, finishedVerifyData, resumptionPsk } from '../../keyschedule/tls13.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import { ExtensionType, HandshakeType, PskKeyExchangeMode } from '../../msgs/enums.ts';
import { checkAllowed } from '../../msgs/extensions/allowed.ts';
import { decodeEarlyDataTicket } from '../../msgs/extensions/early-data.ts';
import { EMPTY_EXTENSION_DATA } from '../../msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { encodeOfferedPsks } from '../../msgs/extensions/pre-shared-key.ts';
import { encodePskKeyExchangeModes } from '../../msgs/extensions/psk-key-exchange-modes.ts';
import { decodeNewSessionTicket, MAX_TICKET_LIFETIME } from '../../msgs/new-session-ticket.ts';
import { setPskBinders, truncateClientHello } from '../../msgs/psk-binders.ts';
import type { StoredSession } from '../../sessions/stored-session.ts';
import type { ClientContext } from './context.ts';
import { saveSession } from './session-store.ts';

/**
 * The client's side of TLS 1.3 resumption (RFC 8446 §2.2, §4.2.11, §4.6.1) and 0-RTT (§2.3,
 * §4.2.10): offering a stored ticket as a PSK with its binder, and keeping the tickets a server
 * sends after the handshake.
 */

/** A ticket offered in the ClientHello, and what the client derived from it. */
export interface PskOffer {
  session: StoredSession;
  suite: Tls13Suite;
  early: EarlySecret;
  /** Whether 0-RTT data goes with this ClientHello (never with a second one, §4.2.10). */
  sendsEarlyData: boolean;
}

/** Prepares the offer of a TLS 1.3 session; early data only when the ticket allows it. */
export async function preparePsk(
  ctx: ClientContext,
  session: StoredSession,
  earlyData: Uint8Array | undefined,
): Promise<PskOffer> {
  const suite = tls13Suite(session.cipherSuite)!;
  const early = await EarlySecret.create(ctx.provider, suite.hash, session.secret);
  // §4.2.10: early data goes under the session's ALPN protocol; offer it only when this
  // connection offers that protocol too, else the server must refuse it anyway.
  const alpnFits = session.alpn === undefined || ctx.alpnProtocols.includes(session.alpn);
  const sendsEarlyData =
    earlyData !== undefined && earlyData.length > 0 && session.maxEarlyData > 0 && alpnFits;
  return { session, suite, early, sendsEarlyData };
}

/**
 * psk_key_exchange_modes (§4.2.9), sent whenever the client keeps sessions: it is also how a
 * client says it wants tickets ("Servers SHOULD NOT send NewSessionTicket with tickets that are
 * not compatible with the advertised modes").
 */
export function pskModesExtension(ctx: ClientContext): Extension {
  const modes = (ctx.pskModes.length > 0 ? ctx.pskModes : ['psk_dhe_ke']).map((m) =>
    m === 'psk_ke' ? PskKeyExchangeMode.psk_ke : PskKeyExchangeMode.psk_dhe_ke,
  );
  return { type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes(modes) };
}

/**
 * The extensions a PSK adds to a ClientHello (besides psk_key_exchange_modes): early_data when
 * 0-RTT data follows, and pre_shared_key last (§4.2.11) with zeroed binders of the right
 * length, filled in by {@link bindClientHello}.
 */
export function pskExtensions(offer: PskOffer, retry: boolean): Extension[] {
  const ext: Extension[] = [];
  // §4.2.10: "A client MUST NOT include the "early_data" extension in its followup
  // ClientHello."
  if (offer.sendsEarlyData && !retry) {
    ext.push({ type: ExtensionType.early_data, data: EMPTY_EXTENSION_DATA });
  }
  const { session } = offer;
  // §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
  const age = Math.max(0, Date.now() - session.receivedAt);
  ext.push({
    type: ExtensionType.pre_shared_key,
    data: encodeOfferedPsks({
      identities: [
        { identity: session.ticket!, obfuscatedTicketAge: (age + session.ageAdd) >>> 0 },
      ],
      binders: [new Uint8Array(hashLength[offer.suite.hash])],
    }),
  });
  return ext;
}

/**
 * Fills in the binder of a framed ClientHello (§4.2.11.2): an HMAC under the "res binder" key
 * over the transcript so far (after a HelloRetryRequest: the message_hash and the HRR) and the
 * ClientHello truncated before the binders.
 */
export async function bindClientHello(
  ctx: ClientContext,
  offer: PskOffer,
  framed: Uint8Array,
  prior: Transcript | undefined,
): Promise<Uint8Array> {
  const hash = offer.suite.hash;
  const truncated = truncateClientHello(framed);
  const transcriptHash = prior
    ? await prior.with(truncated)
    : await ctx.provider.digest(hash, truncated);
  const binderKey = await offer.early.binderKey(false);
  const binder = await finishedVerifyData(ctx.provider, hash, binderKey, transcriptHash);
  return setPskBinders(framed, [binder]);
}

/**
 * RFC 8446 §4.6.1: keeps a NewSessionTicket as a session, its PSK derived from the
 * resumption master secret and the ticket nonce. A ticket with lifetime 0 is dropped.
 *
 * @throws TlsError ILLEGAL_PARAMETER for a lifetime over seven days; DECODE_ERROR for a
 * malformed message or early_data extension
 */
export async function storeTicket(
  ctx: ClientContext,
  body: Uint8Array,
  resumption: { suite: Tls13Suite; secret: Uint8Array },
): Promise<void> {
  const nst = decodeNewSessionTicket(body);
  checkAllowed(HandshakeType.new_session_ticket, nst.extensions);
  // "Servers MUST NOT use any value greater than 604800 seconds (7 days)."
  if (nst.lifetime > MAX_TICKET_LIFETIME) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: ticket lifetime over seven days');
  }
  // "The value of zero indicates that the ticket should be discarded immediately."
  if (nst.lifetime === 0) return;
  const early = findExtension(nst.extensions, ExtensionType.early_data);
  const { info } = ctx.conn;
  const { suite, secret } = resumption;
  await saveSession(ctx, {
    version: 0x0304,
    cipherSuite: suite.code,
    secret: await resumptionPsk(ctx.provider, suite.hash, secret, nst.nonce),
    ticket: nst.ticket,
    receivedAt: Date.now(),
    lifetime: nst.lifetime,
    ageAdd: nst.ageAdd,
    maxEarlyData: early ? decodeEarlyDataTicket(early) : 0,
    alpn: info.alpn,
    extendedMasterSecret: false,
    serverName: ctx.verifyName,
    peerCertificates: info.peerCertificates,
  });
}

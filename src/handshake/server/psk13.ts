import { type Tls13Suite, tls13Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import { EarlySecret, finishedVerifyData, resumptionPsk } from '../../keyschedule/tls13.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import type { ClientHello } from '../../msgs/client-hello.ts';
import {
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
  PskKeyExchangeMode,
} from '../../msgs/enums.ts';
import { encodeEarlyDataTicket } from '../../msgs/extensions/early-data.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { decodeOfferedPsks } from '../../msgs/extensions/pre-shared-key.ts';
import { decodePskKeyExchangeModes } from '../../msgs/extensions/psk-key-exchange-modes.ts';
import { encodeNewSessionTicket, MAX_TICKET_LIFETIME } from '../../msgs/new-session-ticket.ts';
import { truncateClientHello } from '../../msgs/psk-binders.ts';
import {
  decodeServerState,
  encodeServerState,
  type ServerSessionState,
} from '../../sessions/server-state.ts';
import { equalBytes, toHex } from '../../util/bytes.ts';
import type { ServerContext } from './context.ts';

/**
 * The server's side of TLS 1.3 resumption (RFC 8446 §2.2, §4.2.11, §4.6.1) and 0-RTT (§2.3,
 * §4.2.10, §8): choosing an offered ticket and checking its binder, deciding whether its early
 * data is taken, and issuing tickets after the handshake.
 */

/** How many offered identities the server tries to open, at most. */
const MAX_IDENTITIES_TRIED = 4;
/** The lifetime of stateful tickets (kept in a ServerSessionCache), in seconds. */
const CACHE_TICKET_LIFETIME = 7200;

/** A ticket the server will resume. */
export interface ChosenPsk {
  /** Its index in the client's identities (the selected_identity of §4.2.11). */
  index: number;
  identity: Uint8Array;
  obfuscatedTicketAge: number;
  state: ServerSessionState;
  suite: Tls13Suite;
  early: EarlySecret;
  /** psk_dhe_ke needs a key share; psk_ke runs without (EC)DHE (§4.2.9). */
  mode: 'psk_dhe_ke' | 'psk_ke';
}

/** Whether this server resumes TLS 1.3 sessions at all. */
export function resumesSessions(ctx: ServerContext): boolean {
  // A PSK handshake has no CertificateRequest (§4.3.2), so a server that authenticates clients
  // would let a resumed client skip that; such servers neither issue nor resume tickets.
  return (ctx.ticketer !== undefined || ctx.sessionCache !== undefined) && !ctx.clientAuth;
}

/**
 * The key-exchange mode this server would resume the client's tickets with, from its
 * psk_key_exchange_modes (§4.2.9): psk_dhe_ke when offered, psk_ke only when allowed.
 */
function resumptionMode(
  ctx: ServerContext,
  hello: ClientHello,
): 'psk_dhe_ke' | 'psk_ke' | undefined {
  const ext = findExtension(hello.extensions, ExtensionType.psk_key_exchange_modes);
  if (!ext) return undefined;
  const modes = decodePskKeyExchangeModes(ext);
  if (modes.includes(PskKeyExchangeMode.psk_dhe_ke)) return 'psk_dhe_ke';
  if (modes.includes(PskKeyExchangeMode.psk_ke) && ctx.allowPskKe) return 'psk_ke';
  return undefined;
}

/**
 * Whether to send this client tickets: §4.2.9, "Servers SHOULD NOT send NewSessionTicket with
 * tickets that are not compatible with the advertised modes"; a client that advertises none
 * cannot use any.
 */
export function clientWantsTickets(ctx: ServerContext, hello: ClientHello): boolean {
  return resumptionMode(ctx, hello) !== undefined;
}

/**
 * The offered PSK this server resumes, or undefined for a full handshake (no PSK, none opens,
 * none fits, or no key-exchange mode we accept). The binder of the chosen one is verified.
 *
 * @param suite the suite chosen so far; undefined lets a ticket pick its own suite, when the
 * client offers it (0-RTT needs the ticket's own suite)
 * @param prior the transcript before this ClientHello (after a HelloRetryRequest), else none
 * @throws TlsError MISSING_EXTENSION without psk_key_exchange_modes (§4.2.9); DECRYPT_ERROR
 * when the binder does not verify (§4.2.11); ILLEGAL_PARAMETER when pre_shared_key is not last
 */
export async function choosePsk(
  ctx: ServerContext,
  hello: ClientHello,
  rawHello: Uint8Array,
  serverName: string | undefined,
  suite: number | undefined,
  prior: Transcript | undefined,
): Promise<ChosenPsk | undefined> {
  const ext = findExtension(hello.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  const modesExt = findExtension(hello.extensions, ExtensionType.psk_key_exchange_modes);
  // §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes" extension,
  // servers MUST abort the handshake."
  if (!modesExt) {
    throw new TlsError('MISSING_EXTENSION', 'tls: pre_shared_key without psk_key_exchange_modes');
  }
  // Decoding the whole hello again checks pre_shared_key comes last (§4.2.11).
  const truncated = truncateClientHello(rawHello);
  if (!resumesSessions(ctx)) return undefined;
  const mode = resumptionMode(ctx, hello);
  if (!mode) return undefined;

  const offered = decodeOfferedPsks(ext);
  const count = Math.min(offered.identities.length, MAX_IDENTITIES_TRIED);
  for (let index = 0; index < count; index++) {
    const { identity, obfuscatedTicketAge } = offered.identities[index];
    const state = await openTicket(ctx, identity);
    if (!state) continue;
    const chosenSuite = suiteFor(ctx, hello, state, suite);
    if (!chosenSuite || state.serverName !== serverName) continue;
    const early = await EarlySecret.create(ctx.provider, chosenSuite.hash, state.secret);
    // §4.2.11.2: the binder is an HMAC under the "res binder" key over the transcript up to
    // the truncated ClientHello. "If this value does not validate, the server MUST abort".
    const transcriptHash = prior
      ? await prior.with(truncated)
      : await ctx.provider.digest(chosenSuite.hash, truncated);
    const binderKey = await early.binderKey(false);
    const expected = await finishedVerifyData(
      ctx.provider,
      chosenSuite.hash,
      binderKey,
      transcriptHash,
    );
    if (!equalBytes(expected, offered.binders[index])) {
      throw new TlsError('DECRYPT_ERROR', 'tls: PSK binder does not verify');
    }
    return { index, identity, obfuscatedTicketAge, state, suite: chosenSuite, early, mode };
  }
  return undefined;
}

/** A ticket's session state, if it is ours, unexpired and a TLS 1.3 one. */
async function openTicket(
  ctx: ServerContext,
  identity: Uint8Array,
): Promise<ServerSessionState | undefined> {
  let data: Uint8Array | undefined;
  if (ctx.ticketer) {
    data = await ctx.ticketer.open(identity, ctx.provider);
  } else if (ctx.sessionCache) {
    data = await ctx.sessionCache.get(identity);
    // A stateful ticket is used once (RFC 8446 Appendix C.4).
    if (data) await ctx.sessionCache.remove?.(identity);
  }
  const state = data ? decodeServerState(data) : undefined;
  if (!state || state.version !== ProtocolVersion.TLSv1_3) return undefined;
  const age = Date.now() - state.issuedAt;
  if (age < -60_000 || age > MAX_TICKET_LIFETIME * 1000) return undefined;
  return state;
}

/**
 * The suite to resume `state` with: its own when the client offers it and we allow it;
 * otherwise, when the suite is already fixed, that one if it has the ticket's hash (§4.2.11:
 * "Any ticket MUST only be resumed with a cipher suite that has the same KDF hash algorithm").
 */
function suiteFor(
  ctx: ServerContext,
  hello: ClientHello,
  state: ServerSessionState,
  fixed: number | undefined,
): Tls13Suite | undefined {
  const own = tls13Suite(state.cipherSuite);
  if (!own) return undefined;
  if (fixed === undefined) {
    const usable = ctx.cipherSuites.includes(own.code) && hello.cipherSuites.includes(own.code);
    return usable ? own : undefined;
  }
  const chosen = tls13Suite(fixed);
  return chosen && chosen.hash === own.hash ? chosen : undefined;
}

/**
 * Whether the 0-RTT data of this ClientHello is accepted (RFC 8446 §4.2.10, §8): only for the
 * first identity, on a first ClientHello, under the ticket's suite and ALPN, within the
 * ticket-age window, and only once per ticket (the anti-replay store's claim). A store that
 * fails rejects the early data; the handshake goes on.
 */
export async function acceptsEarlyData(
  ctx: ServerContext,
  psk: ChosenPsk,
  alpn: string | undefined,
): Promise<boolean> {
  const { state } = psk;
  if (ctx.maxEarlyData <= 0 || state.maxEarlyData <= 0 || psk.index !== 0) return false;
  if (psk.suite.code !== state.cipherSuite || alpn !== state.alpn) return false;
  // §8.3: the ticket age the client reports must match the server's view within a window.
  const now = Date.now();
  const clientAge = (psk.obfuscatedTicketAge - state.ageAdd) >>> 0;
  const serverAge = now - state.issuedAt;
  if (Math.abs(serverAge - clientAge) > ctx.earlyDataWindowMs) {
    ctx.conn.emit('state', 'early data outside the freshness window', {
      skewMs: serverAge - clientAge,
    });
    return false;
  }
  const lifetime = ticketLifetime(ctx) * 1000;
  const ttl = Math.max(ctx.earlyDataWindowMs, state.issuedAt + lifetime - now) + 60_000;
  const key = toHex(await ctx.provider.digest('SHA-256', psk.identity));
  try {
    const first = await ctx.antiReplay.claim(key, ttl);
    if (!first) ctx.conn.emit('state', 'early data replayed: rejected');
    return first;
  } catch (error) {
    ctx.conn.emit('state', 'anti-replay store failed: early data rejected', {
      error: String(error),
    });
    return false;
  }
}

/** The ticket lifetime sent (seconds): the ticketer's, else the stateful cache's. */
function ticketLifetime(ctx: ServerContext): number {
  return Math.min(ctx.ticketer?.lifetimeSeconds ?? CACHE_TICKET_LIFETIME, MAX_TICKET_LIFETIME);
}

/**
 * RFC 8446 §4.6.1: sends `ctx.sessionTickets` NewSessionTicket messages, each with its own
 * nonce (so its own PSK) and ticket_age_add, sealed by the ticketer or kept in the cache.
 */
export async function issueTickets(
  ctx: ServerContext,
  session: { suite: Tls13Suite; resumptionSecret: Uint8Array; serverName?: string; alpn?: string },
): Promise<void> {
  if (!resumesSessions(ctx) || ctx.sessionTickets <= 0) return;
  const { provider, conn } = ctx;
  const lifetime = ticketLifetime(ctx);
  const extensions: Extension[] = [];
  if (ctx.maxEarlyData > 0) {
    extensions.push({
      type: ExtensionType.early_data,
      data: encodeEarlyDataTicket(ctx.maxEarlyData),
    });
  }
  for (let i = 0; i < Math.min(ctx.sessionTickets, 255); i++) {
    const nonce = new Uint8Array([i]);
    const ageAdd = new DataView(provider.random(4).buffer).getUint32(0);
    const now = Date.now();
    const state = encodeServerState({
      version: ProtocolVersion.TLSv1_3,
      cipherSuite: session.suite.code,
      secret: await resumptionPsk(provider, session.suite.hash, session.resumptionSecret, nonce),
      extendedMasterSecret: false,
      createdAt: now,
      serverName: session.serverName,
      alpn: session.alpn,
      issuedAt: now,
      ageAdd,
      maxEarlyData: ctx.maxEarlyData,
    });
    let ticket: Uint8Array;
    if (ctx.ticketer) {
      ticket = await ctx.ticketer.seal(state, provider);
    } else {
      ticket = provider.random(32);
      await ctx.sessionCache!.put(ticket, state);
    }
    const body = encodeNewSessionTicket({ lifetime, ageAdd, nonce, ticket, extensions });
    await conn.sendHandshake(HandshakeType.new_session_ticket, body, 'NewSessionTicket');
  }
}

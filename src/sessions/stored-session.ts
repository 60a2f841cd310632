import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { decodeError } from '../error.ts';
import { ProtocolVersion } from '../msgs/enums.ts';
import { copy, fromUtf8, utf8 } from '../util/bytes.ts';
import { pemBlocks, pemEncode } from '../util/pem.ts';

/**
 * What a client keeps of a session to resume it later, for either version. It holds the
 * session's secret: whoever has it can resume the session and read what is sent on the resumed
 * connection, so store and transmit it like a private key.
 */
export interface StoredSession {
  /** The ProtocolVersion the session was made with (0x0303 TLS 1.2, 0x0304 TLS 1.3). */
  version: number;
  /** The cipher suite code point; a resumption must use the same one (RFC 5246 §7.4.1.3). */
  cipherSuite: number;
  /** TLS 1.2: the 48-byte master secret. TLS 1.3: the resumption PSK of this ticket. */
  secret: Uint8Array;
  /** The ticket (RFC 5077 §3.3, RFC 8446 §4.6.1), when the server issued one. */
  ticket?: Uint8Array;
  /** TLS 1.2: the server's non-empty session ID, for stateful resumption (RFC 5246 §7.4.1.3). */
  sessionId?: Uint8Array;
  /** When the client received the session, in milliseconds since the epoch. */
  receivedAt: number;
  /** The lifetime the server gave, in seconds; 0 means unspecified (RFC 5077 §3.3). */
  lifetime: number;
  /** TLS 1.3: ticket_age_add (RFC 8446 §4.6.1); 0 for TLS 1.2. */
  ageAdd: number;
  /** TLS 1.3: max_early_data_size from the ticket's early_data extension; 0 when none. */
  maxEarlyData: number;
  /** The ALPN protocol negotiated on the session's full handshake. */
  alpn?: string;
  /** TLS 1.2: whether the session used the extended master secret (RFC 7627). */
  extendedMasterSecret: boolean;
  /** The server name (or IP address) the session was made with and its certificate verified for. */
  serverName: string;
  /** The server's certificate chain as sent on the full handshake, DER, leaf first. */
  peerCertificates: Uint8Array[];
}

/** The longest a client keeps any session, in seconds: seven days (RFC 8446 §4.6.1's cap). */
export const MAX_SESSION_LIFETIME = 7 * 24 * 3600;

/**
 * Whether a session may still be offered at `now` (ms): younger than the lifetime the server
 * gave (seven days when it gave none), and never older than {@link MAX_SESSION_LIFETIME}.
 */
export function sessionUsable(session: StoredSession, now: number): boolean {
  const lifetime = Math.min(session.lifetime || MAX_SESSION_LIFETIME, MAX_SESSION_LIFETIME);
  const age = now - session.receivedAt;
  return age >= 0 && age < lifetime * 1000;
}

const FORMAT = 1;
const FLAG_EMS = 1;

/*
 * The portable encoding of a StoredSession (for external stores and `s_client -sess_out`),
 * written in the RFC's presentation language:
 *
 *   struct {
 *       uint8 format = 1;
 *       ProtocolVersion version;
 *       CipherSuite cipher_suite;
 *       opaque secret<1..255>;
 *       opaque ticket<0..2^16-1>;
 *       opaque session_id<0..32>;
 *       uint32 received_at_high; uint32 received_at_low;  // ms since the epoch
 *       uint32 lifetime;
 *       uint32 age_add;
 *       uint32 max_early_data;
 *       uint8 flags;                    // bit 0: extended master secret
 *       opaque server_name<0..255>;     // UTF-8
 *       opaque alpn<0..255>;
 *       ASN.1Cert certificate_list<0..2^24-1>;
 *   } StoredSession;
 */

/** Encodes a session in the portable binary form above. */
export function encodeStoredSession(s: StoredSession): Uint8Array {
  const w = new Writer(1024);
  w.u8(FORMAT).u16(s.version).u16(s.cipherSuite);
  w.vec8(s.secret).vec16(s.ticket ?? new Uint8Array(0));
  w.vec8(s.sessionId ?? new Uint8Array(0));
  w.u32(Math.floor(s.receivedAt / 2 ** 32)).u32(s.receivedAt >>> 0);
  w.u32(s.lifetime >>> 0)
    .u32(s.ageAdd >>> 0)
    .u32(s.maxEarlyData >>> 0);
  w.u8(s.extendedMasterSecret ? FLAG_EMS : 0);
  w.vec8(utf8(s.serverName)).vec8(utf8(s.alpn ?? ''));
  w.vec(3, (list) => {
    for (const cert of s.peerCertificates) list.vec24(cert);
  });
  return w.finish();
}

/**
 * Decodes the portable binary form of a session. The result owns its bytes.
 *
 * @throws TlsError DECODE_ERROR for an unknown format, a malformed record or trailing bytes
 */
export function decodeStoredSession(data: Uint8Array): StoredSession {
  const r = new Reader(copy(data));
  const format = r.u8('StoredSession.format');
  if (format !== FORMAT) throw decodeError(`tls: unknown stored session format ${format}`);
  const version = r.u16('StoredSession.version');
  if (version !== ProtocolVersion.TLSv1_2 && version !== ProtocolVersion.TLSv1_3) {
    throw decodeError(`tls: stored session of unknown version 0x${version.toString(16)}`);
  }
  const cipherSuite = r.u16('StoredSession.cipher_suite');
  const secret = r.vec8('StoredSession.secret', 1);
  const ticket = r.vec16('StoredSession.ticket');
  const sessionId = r.vec8('StoredSession.session_id', 0, 32);
  const receivedAt = r.u32('received_at_high') * 2 ** 32 + r.u32('received_at_low');
  const lifetime = r.u32('StoredSession.lifetime');
  const ageAdd = r.u32('StoredSession.age_add');
  const maxEarlyData = r.u32('StoredSession.max_early_data');
  const flags = r.u8('StoredSession.flags');
  const serverName = text(r.vec8('StoredSession.server_name'), 'server_name');
  const alpn = text(r.vec8('StoredSession.alpn'), 'alpn');
  const list = r.sub(3, 'StoredSession.certificate_list');
  r.end('StoredSession');
  const peerCertificates: Uint8Array[] = [];
  while (!list.done) peerCertificates.push(list.vec24('ASN.1Cert', 1));
  return {
    version,
    cipherSuite,
    secret,
    ticket: ticket.length > 0 ? ticket : undefined,
    sessionId: sessionId.length > 0 ? sessionId : undefined,
    receivedAt,
    lifetime,
    ageAdd,
    maxEarlyData,
    alpn: alpn.length > 0 ? alpn : undefined,
    extendedMasterSecret: (flags & FLAG_EMS) !== 0,
    serverName,
    peerCertificates,
  };
}

/** UTF-8 text of a field; bytes that are not UTF-8 are a decode error, not a TypeError. */
function text(bytes: Uint8Array, field: string): string {
  try {
    return fromUtf8(bytes);
  } catch {
    throw decodeError(`tls: stored session ${field} is not UTF-8`);
  }
}

/** The PEM label of a session file (`s_client -sess_out`). */
export const SESSION_PEM_LABEL = 'WEBTLS SESSION';

/** A session as PEM text: the portable binary form under `-----BEGIN WEBTLS SESSION-----`. */
export function sessionToPem(session: StoredSession): string {
  return pemEncode(SESSION_PEM_LABEL, encodeStoredSession(session));
}

/**
 * Reads the first WEBTLS SESSION block of PEM text.
 *
 * @throws TlsError DECODE_ERROR when there is none or it does not decode
 */
export function sessionFromPem(text: string): StoredSession {
  let block: Uint8Array | undefined;
  try {
    block = pemBlocks(text).find((b) => b.label === SESSION_PEM_LABEL)?.der;
  } catch (error) {
    throw decodeError(`tls: session file: ${(error as Error).message}`);
  }
  if (!block) throw decodeError(`tls: no ${SESSION_PEM_LABEL} block in the session file`);
  return decodeStoredSession(block);
}

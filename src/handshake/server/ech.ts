import type { HashAlgorithm } from '../../crypto/provider.ts';
import { encodeEchConfigList } from '../../ech/config.ts';
import { echConfirmation } from '../../ech/confirm.ts';
import { type HpkeOpener, setupReceiver } from '../../ech/hpke.ts';
import { decodeInner, outerAad } from '../../ech/inner.ts';
import type { EchKeyPair } from '../../ech/keys.ts';
import { TlsError } from '../../error.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import { type ClientHello, encodeClientHello } from '../../msgs/client-hello.ts';
import { ExtensionType, HandshakeType, ProtocolVersion } from '../../msgs/enums.ts';
import {
  decodeEchClientHello,
  ECH_CONFIRMATION_LENGTH,
  EchClientHelloType,
  type EchOuter,
} from '../../msgs/extensions/ech.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { decodeServerName } from '../../msgs/extensions/server-name.ts';
import { decodeSupportedVersionsClient } from '../../msgs/extensions/supported-versions.ts';
import { encodeHandshake } from '../../msgs/handshake.ts';
import { utf8 } from '../../util/bytes.ts';
import type { ServerContext } from './context.ts';

/**
 * The server's side of Encrypted Client Hello in shared mode (draft-ietf-tls-esni §7): the
 * client-facing server decrypts ClientHelloInner with one of its keys and the backend (the same
 * server) handshakes with it, confirming acceptance in ServerHello.random or the
 * HelloRetryRequest; when no key opens it, the handshake uses ClientHelloOuter and
 * EncryptedExtensions carries the retry configurations.
 */

/** "tls ech" || 0x00: the prefix of the HPKE info (§6.1). */
const INFO_PREFIX = new Uint8Array([...utf8('tls ech'), 0]);

/** What a server decided about a connection's ECH, kept across a HelloRetryRequest. */
export interface EchDecision {
  /** Whether ClientHelloInner is the hello the handshake runs on. */
  accepted: boolean;
  /** Accepted: the HPKE context, opened again for a second ClientHelloOuter (§7.1.1). */
  opener?: HpkeOpener;
  /** Accepted: the outer extension's fields the second ClientHelloOuter must repeat. */
  outer?: EchOuter;
  /** Accepted: ClientHelloInner.random, for the confirmations. */
  innerRandom?: Uint8Array;
}

/** The hello the handshake runs on, and the ECH decision when the client sent the extension. */
export interface EchOutcome {
  hello: ClientHello;
  /** The framed hello for the transcript. */
  raw: Uint8Array;
  ech?: EchDecision;
}

/**
 * §7.1: examines a first ClientHello's encrypted_client_hello. With one of our keys (matched by
 * config_id, §7.1 method 1) opening it, the result is ClientHelloInner; otherwise the outer
 * hello, rejected (GREASE or a stale key alike: "the client-facing server MUST ignore the
 * extension and proceed with the connection using ClientHelloOuter").
 *
 * @throws TlsError ILLEGAL_PARAMETER for the inner variant arriving from the network, an inner
 * hello without the inner marker or offering TLS 1.2, or a malformed EncodedClientHelloInner
 */
export async function openClientHello(
  ctx: ServerContext,
  hello: ClientHello,
  raw: Uint8Array,
): Promise<EchOutcome> {
  const ext = findExtension(hello.extensions, ExtensionType.encrypted_client_hello);
  if (ext === undefined) return { hello, raw };
  const ech = decodeEchClientHello(ext);
  // §7: "A shared mode server which receives a ClientHello with ECHClientHello.type of inner
  // MUST abort with an "illegal_parameter" alert".
  if (ech.type !== EchClientHelloType.outer) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: ECH inner variant from the network');
  }
  const keys = ctx.ech?.keys ?? [];
  for (const key of keys) {
    const contents = key.config.contents;
    if (contents.configId !== ech.configId) continue;
    const suite = { kdfId: ech.kdfId, aeadId: ech.aeadId };
    if (!contents.cipherSuites.some((s) => s.kdfId === suite.kdfId && s.aeadId === suite.aeadId)) {
      continue;
    }
    const opener = await receiver(key, suite, ech.enc);
    if (!opener) continue;
    let encoded: Uint8Array;
    try {
      encoded = await opener.open(outerAad(hello), ech.payload);
    } catch {
      continue;
    }
    const inner = checkInner(decodeInner(encoded, hello));
    ctx.conn.info.ech = 'accepted';
    ctx.conn.info.outerServerName = serverNameOf(hello);
    const innerRaw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(inner));
    return {
      hello: inner,
      raw: innerRaw,
      ech: { accepted: true, opener, outer: ech, innerRandom: inner.random },
    };
  }
  ctx.conn.info.ech = keys.length > 0 ? 'rejected' : 'grease';
  return { hello, raw, ech: { accepted: false } };
}

/**
 * §7.1.1: the second ClientHelloOuter after a HelloRetryRequest that accepted ECH: the extension
 * must be there (missing_extension), with the same suite and config_id and an empty enc
 * (illegal_parameter), and open under the same context (decrypt_error).
 */
export async function reopenClientHello(
  decision: EchDecision,
  hello: ClientHello,
): Promise<EchOutcome> {
  const ext = findExtension(hello.extensions, ExtensionType.encrypted_client_hello);
  if (ext === undefined) {
    throw new TlsError('MISSING_EXTENSION', 'tls: second ClientHelloOuter without ECH');
  }
  const ech = decodeEchClientHello(ext);
  const first = decision.outer!;
  if (
    ech.type !== EchClientHelloType.outer ||
    ech.kdfId !== first.kdfId ||
    ech.aeadId !== first.aeadId ||
    ech.configId !== first.configId ||
    ech.enc.length !== 0
  ) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: second ClientHelloOuter changed its ECH');
  }
  let encoded: Uint8Array;
  try {
    encoded = await decision.opener!.open(outerAad(hello), ech.payload);
  } catch (error) {
    throw new TlsError('DECRYPT_ERROR', 'tls: second ClientHelloInner does not decrypt', {
      cause: error,
    });
  }
  const inner = checkInner(decodeInner(encoded, hello));
  return {
    hello: inner,
    raw: encodeHandshake(HandshakeType.client_hello, encodeClientHello(inner)),
    ech: decision,
  };
}

/**
 * §7.1: "the client-facing server checks that the message includes a well-formed
 * "encrypted_client_hello" extension of type inner and that it does not offer TLS 1.2 or below.
 * If either of these checks fails, the client-facing server MUST abort with an
 * "illegal_parameter" alert."
 */
function checkInner(inner: ClientHello): ClientHello {
  const marker = findExtension(inner.extensions, ExtensionType.encrypted_client_hello);
  if (marker === undefined || decodeEchClientHello(marker).type !== EchClientHelloType.inner) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: ClientHelloInner without the inner ECH marker');
  }
  const versions = findExtension(inner.extensions, ExtensionType.supported_versions);
  const offered = versions ? decodeSupportedVersionsClient(versions) : [];
  if (offered.length === 0 || offered.some((v) => v <= ProtocolVersion.TLSv1_2)) {
    throw new TlsError('ILLEGAL_PARAMETER', 'tls: ClientHelloInner offers TLS 1.2 or below');
  }
  return inner;
}

async function receiver(
  key: EchKeyPair,
  suite: { kdfId: number; aeadId: number },
  enc: Uint8Array,
): Promise<HpkeOpener | undefined> {
  const info = new Uint8Array(INFO_PREFIX.length + key.config.raw.length);
  info.set(INFO_PREFIX);
  info.set(key.config.raw, INFO_PREFIX.length);
  try {
    return await setupReceiver(key.privateKey, key.config.contents.kemId, suite, enc, info);
  } catch {
    return undefined;
  }
}

function serverNameOf(hello: ClientHello): string | undefined {
  const sni = findExtension(hello.extensions, ExtensionType.server_name);
  return sni ? decodeServerName(sni) : undefined;
}

/**
 * §7.1: when ECH was offered but not accepted, EncryptedExtensions carries "retry_configs"
 * with up-to-date keys: the configured retry list, or the configurations of our keys.
 */
export function retryConfigsExtension(ctx: ServerContext): Extension | undefined {
  if (!ctx.ech || ctx.ech.keys.length === 0) return undefined;
  const list = ctx.ech.retryConfigs ?? encodeEchConfigList(ctx.ech.keys.map((k) => k.config));
  return { type: ExtensionType.encrypted_client_hello, data: list };
}

/**
 * §7.2: the ServerHello body with its random's last eight bytes set to accept_confirmation,
 * computed over the transcript so far and the ServerHello with those bytes zeroed.
 */
export async function confirmServerHello(
  ctx: ServerContext,
  decision: EchDecision,
  hash: HashAlgorithm,
  transcript: Transcript,
  body: Uint8Array,
): Promise<Uint8Array> {
  const at = 2 + 32 - ECH_CONFIRMATION_LENGTH;
  const out = body.slice();
  out.fill(0, at, at + ECH_CONFIRMATION_LENGTH);
  const transcriptHash = await transcript.with(encodeHandshake(HandshakeType.server_hello, out));
  const confirmation = await echConfirmation(
    ctx.provider,
    hash,
    decision.innerRandom!,
    transcriptHash,
    false,
  );
  out.set(confirmation, at);
  return out;
}

/**
 * §7.2.1: the encrypted_client_hello extension of a HelloRetryRequest that accepted ECH. Call
 * with `encode` building the HelloRetryRequest body from extra extensions; the transcript must
 * hold the message_hash of ClientHelloInner1.
 */
export async function confirmHelloRetry(
  ctx: ServerContext,
  decision: EchDecision,
  hash: HashAlgorithm,
  transcript: Transcript,
  encode: (ech: Extension) => Uint8Array,
): Promise<Uint8Array> {
  const zeroed = encode({
    type: ExtensionType.encrypted_client_hello,
    data: new Uint8Array(ECH_CONFIRMATION_LENGTH),
  });
  const transcriptHash = await transcript.with(encodeHandshake(HandshakeType.server_hello, zeroed));
  const confirmation = await echConfirmation(
    ctx.provider,
    hash,
    decision.innerRandom!,
    transcriptHash,
    true,
  );
  return encode({ type: ExtensionType.encrypted_client_hello, data: confirmation });
}

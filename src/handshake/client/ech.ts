import {
  decodeEchConfigList,
  type EchConfig,
  type HpkeSymmetricCipherSuite,
} from '../../ech/config.ts';
import { echConfirmation } from '../../ech/confirm.ts';
import {
  type HpkeSealer,
  hpkeSuiteSupported,
  selectHpkeSuite,
  setupSender,
} from '../../ech/hpke.ts';
import { encodeInner, placeholderOuter } from '../../ech/inner.ts';
import { TlsError } from '../../error.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import { type ClientHello, encodeClientHello } from '../../msgs/client-hello.ts';
import { ExtensionType, HandshakeType, NamedGroup } from '../../msgs/enums.ts';
import {
  decodeEchHrrConfirmation,
  ECH_CONFIRMATION_LENGTH,
  ECH_INNER_EXTENSION_DATA,
  encodeEchOuter,
} from '../../msgs/extensions/ech.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { decodeOfferedPsks, encodeOfferedPsks } from '../../msgs/extensions/pre-shared-key.ts';
import { encodeHandshake } from '../../msgs/handshake.ts';
import { encodeServerHello, type ServerHello } from '../../msgs/server-hello.ts';
import { concat, equalBytes, utf8 } from '../../util/bytes.ts';
import type { ClientContext } from './context.ts';

/**
 * The client's side of Encrypted Client Hello (draft-ietf-tls-esni §6): the ClientHelloInner it
 * means, sealed inside a ClientHelloOuter that names only the public name; the server's
 * acceptance signal; and GREASE ECH when no configuration is known (§6.2).
 */

/** "tls ech" || 0x00: the prefix of the HPKE info (§6.1). */
const INFO_PREFIX = new Uint8Array([...utf8('tls ech'), 0]);
/** The AEAD tag both supported HPKE AEADs add. */
const HPKE_TAG = 16;
/**
 * Extensions the outer hello repeats unchanged, referenced from the inner one by
 * ech_outer_extensions (§5.1) instead of being sent twice; in clientExtensions' order.
 */
const COMPRESSED = [
  ExtensionType.supported_versions,
  ExtensionType.supported_groups,
  ExtensionType.signature_algorithms,
  ExtensionType.key_share,
];

/** The configuration a client offers ECH with. */
export interface EchChoice {
  config: EchConfig;
  suite: HpkeSymmetricCipherSuite;
}

/**
 * The first configuration of a list the client can use (§6.1): a supported KEM and suite and a
 * valid public name (the decoder already dropped unknown versions and mandatory extensions).
 *
 * @throws TlsError CONFIG when the list does not decode or has no usable configuration
 */
export function chooseEchConfig(list: Uint8Array | string): EchChoice {
  const bytes = typeof list === 'string' ? base64Bytes(list) : list;
  let configs: EchConfig[];
  try {
    configs = decodeEchConfigList(bytes);
  } catch (error) {
    throw new TlsError('CONFIG', 'tls: the ECHConfigList does not decode', {
      layer: 'config',
      cause: error,
    });
  }
  for (const config of configs) {
    const suite = selectHpkeSuite(config);
    if (suite && hpkeSuiteSupported(config.contents.kemId, suite)) return { config, suite };
  }
  throw new TlsError('CONFIG', 'tls: no usable configuration in the ECHConfigList', {
    layer: 'config',
  });
}

/** What a connection offering real ECH keeps until it knows whether the server accepted. */
export interface EchOffer {
  choice: EchChoice;
  sealer: HpkeSealer;
  /** The ClientHelloInner the handshake continues with when ECH is accepted. */
  inner: ClientHello;
  innerTranscript: Transcript;
  /** The ClientHelloOuter, sent, continued with when ECH is rejected. */
  outer: ClientHello;
  outerTranscript: Transcript;
  /** Settled by the first ServerHello or HelloRetryRequest. */
  accepted?: boolean;
}

/**
 * Seals `inner` (framed `innerFramed`, binders set) into a ClientHelloOuter built from
 * `outerExtensions` (the public name already in its server_name); returns the outer hello and
 * its framed bytes. `first`: the first ClientHello carries `enc`; a second one (after
 * HelloRetryRequest) an empty `enc` and the next seal of the same context (§6.1.5).
 */
export async function sealClientHello(
  ctx: ClientContext,
  offer: { choice: EchChoice; sealer: HpkeSealer },
  inner: ClientHello,
  outerBase: ClientHello,
  first: boolean,
): Promise<{ outer: ClientHello; framed: Uint8Array }> {
  const { config, suite } = offer.choice;
  const encoded = encodeInner(
    inner,
    COMPRESSED.filter((t) => findExtension(inner.extensions, t) !== undefined),
    config.contents.maximumNameLength,
    ctx.serverName,
  );
  const fields = {
    kdfId: suite.kdfId,
    aeadId: suite.aeadId,
    configId: config.contents.configId,
    enc: first ? offer.sealer.enc : new Uint8Array(0),
  };
  const withPlaceholder = withEch(outerBase, placeholderOuter(fields, encoded.length + HPKE_TAG));
  // §5.2: the AAD is the outer hello with the payload zeroed: the placeholder already is.
  const payload = await offer.sealer.seal(encodeClientHello(withPlaceholder), encoded);
  const outer = withEch(outerBase, encodeEchOuter({ ...fields, payload }));
  return {
    outer,
    framed: encodeHandshake(HandshakeType.client_hello, encodeClientHello(outer)),
  };
}

/** Starts an HPKE context for `choice` (§6.1: info = "tls ech" || 0x00 || ECHConfig). */
export function echSender(choice: EchChoice): Promise<HpkeSealer> {
  const info = new Uint8Array(INFO_PREFIX.length + choice.config.raw.length);
  info.set(INFO_PREFIX);
  info.set(choice.config.raw, INFO_PREFIX.length);
  return setupSender(choice.config, choice.suite, info);
}

/** The inner variant of the extension, which ClientHelloInner carries (§5). */
export function innerEchExtension(): Extension {
  return { type: ExtensionType.encrypted_client_hello, data: ECH_INNER_EXTENSION_DATA };
}

/**
 * §6.1.2: a GREASE pre_shared_key for the outer hello when the inner one offers a PSK: random
 * identities and binders of the same lengths, a random obfuscated age.
 */
export function greasePsk(ctx: ClientContext, innerPsk: Uint8Array): Extension {
  const offered = decodeOfferedPsks(innerPsk);
  const random = ctx.provider.random;
  return {
    type: ExtensionType.pre_shared_key,
    data: encodeOfferedPsks({
      identities: offered.identities.map((id) => ({
        identity: random(id.identity.length),
        obfuscatedTicketAge: new DataView(random(4).buffer).getUint32(0),
      })),
      binders: offered.binders.map((b) => random(b.length)),
    }),
  };
}

/**
 * §6.2: a GREASE encrypted_client_hello: a random config_id, a supported suite, a real-looking
 * X25519 `enc`, and a random payload as long as a real one would be.
 */
export async function greaseEch(ctx: ClientContext, innerLength: number): Promise<Extension> {
  const x25519 = ctx.provider.keyExchange(NamedGroup.x25519);
  const enc = x25519 ? (await x25519.generate()).publicKey : ctx.provider.random(32);
  const padded = innerLength + 31 - ((innerLength - 1) % 32);
  return {
    type: ExtensionType.encrypted_client_hello,
    data: encodeEchOuter({
      kdfId: 0x0001,
      aeadId: 0x0001,
      configId: ctx.provider.random(1)[0],
      enc,
      payload: ctx.provider.random(padded + HPKE_TAG),
    }),
  };
}

/**
 * §6.1.4: whether a ServerHello accepted ECH: its last eight random bytes are the confirmation
 * over the inner transcript and the ServerHello with those bytes zeroed.
 */
export async function serverHelloAccepts(
  ctx: ClientContext,
  offer: EchOffer,
  serverHelloFramed: Uint8Array,
): Promise<boolean> {
  // The random sits after the 4-byte header and the 2-byte legacy_version.
  const at = 4 + 2 + 32 - ECH_CONFIRMATION_LENGTH;
  const signal = serverHelloFramed.slice(at, at + ECH_CONFIRMATION_LENGTH);
  const zeroed = serverHelloFramed.slice();
  zeroed.fill(0, at, at + ECH_CONFIRMATION_LENGTH);
  const transcriptHash = await offer.innerTranscript.with(zeroed);
  const expected = await echConfirmation(
    ctx.provider,
    offer.innerTranscript.hash,
    offer.inner.random,
    transcriptHash,
    false,
  );
  return equalBytes(signal, expected);
}

/**
 * §6.1.4: whether a HelloRetryRequest accepted ECH: its encrypted_client_hello extension (eight
 * bytes, else decode_error) is the confirmation over message_hash(ClientHelloInner1) and the
 * HelloRetryRequest with that extension zeroed. The inner transcript holds ClientHelloInner1.
 */
export async function helloRetryAccepts(
  ctx: ClientContext,
  offer: EchOffer,
  hrr: ServerHello,
): Promise<boolean> {
  const ext = findExtension(hrr.extensions, ExtensionType.encrypted_client_hello);
  if (ext === undefined) return false;
  const signal = decodeEchHrrConfirmation(ext);
  const zeroed: ServerHello = {
    ...hrr,
    extensions: hrr.extensions.map((e) =>
      e.type === ExtensionType.encrypted_client_hello
        ? { type: e.type, data: new Uint8Array(ECH_CONFIRMATION_LENGTH) }
        : e,
    ),
  };
  const framed = encodeHandshake(HandshakeType.server_hello, encodeServerHello(zeroed));
  // RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 counts as its message_hash.
  const hash = offer.innerTranscript.hash;
  const inner1 = await offer.innerTranscript.current();
  const messageHash = new Uint8Array(4 + inner1.length);
  messageHash[0] = HandshakeType.message_hash;
  messageHash[3] = inner1.length;
  messageHash.set(inner1, 4);
  const transcriptHash = await ctx.provider.digest(hash, concat(messageHash, framed));
  const expected = await echConfirmation(
    ctx.provider,
    hash,
    offer.inner.random,
    transcriptHash,
    true,
  );
  return equalBytes(signal, expected);
}

/** `hello` with its encrypted_client_hello set to `data` (added before a final pre_shared_key). */
function withEch(hello: ClientHello, data: Uint8Array): ClientHello {
  const extensions = hello.extensions.filter(
    (e) => e.type !== ExtensionType.encrypted_client_hello,
  );
  const ech = { type: ExtensionType.encrypted_client_hello, data };
  const last = extensions[extensions.length - 1];
  if (last?.type === ExtensionType.pre_shared_key) extensions.splice(-1, 0, ech);
  else extensions.push(ech);
  return { ...hello, extensions };
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text.replace(/\s+/g, ''));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { decodeError, TlsError } from '../error.ts';
import type { Extension } from '../msgs/extensions/extension.ts';

/**
 * ECH configurations (draft-ietf-tls-esni §4): the codec for `ECHConfig` and `ECHConfigList`,
 * plus the client-side validity rules that decide whether a decoded configuration is usable.
 */

/** The ECH version this module speaks: the draft's code point for encrypted_client_hello. */
export const ECH_VERSION = 0xfe0d;

/*
 * draft-ietf-tls-esni §4:
 *
 *   struct {
 *       HpkeKdfId kdf_id;
 *       HpkeAeadId aead_id;
 *   } HpkeSymmetricCipherSuite;
 */

/** One KDF/AEAD pair a configuration allows for HPKE (RFC 9180 §7 identifiers). */
export interface HpkeSymmetricCipherSuite {
  /** HpkeKdfId, e.g. 0x0001 for HKDF-SHA256. */
  kdfId: number;
  /** HpkeAeadId, e.g. 0x0001 for AES-128-GCM. */
  aeadId: number;
}

/*
 * draft-ietf-tls-esni §4:
 *
 *   struct {
 *       uint8 config_id;
 *       HpkeKemId kem_id;
 *       HpkePublicKey public_key;                       // opaque <1..2^16-1>
 *       HpkeSymmetricCipherSuite cipher_suites<4..2^16-4>;
 *   } HpkeKeyConfig;
 *
 *   struct {
 *       HpkeKeyConfig key_config;
 *       uint8 maximum_name_length;
 *       opaque public_name<1..255>;
 *       ECHConfigExtension extensions<0..2^16-1>;
 *   } ECHConfigContents;
 */

/** The contents of a version 0xfe0d ECHConfig, with the key config fields flattened in. */
export interface EchConfigContents {
  /** config_id: the one-byte identifier a client echoes in its outer extension. */
  configId: number;
  /** kem_id: the HPKE KEM of `publicKey`. */
  kemId: number;
  /** public_key: the serialized HPKE public key (the "ECH key"). */
  publicKey: Uint8Array;
  /** cipher_suites: at least one, in the server's order. */
  cipherSuites: HpkeSymmetricCipherSuite[];
  /** maximum_name_length: the longest backend name, or 0 when unknown (padding hint only). */
  maximumNameLength: number;
  /** public_name: the client-facing server's DNS name (ASCII, LDH labels). */
  publicName: string;
  /** extensions: ECHConfigExtension values; same shape as TLS extensions. */
  extensions: Extension[];
}

/*
 * draft-ietf-tls-esni §4:
 *
 *   struct {
 *       uint16 version;
 *       uint16 length;
 *       select (ECHConfig.version) {
 *         case 0xfe0d: ECHConfigContents contents;
 *       }
 *   } ECHConfig;
 */

/** One ECHConfig as decoded or encoded, together with its exact wire bytes. */
export interface EchConfig {
  /** version: always {@link ECH_VERSION} here (other versions are skipped on decode). */
  version: number;
  contents: EchConfigContents;
  /** the whole encoded ECHConfig (version, length, contents): HPKE info input */
  raw: Uint8Array;
}

/** The high bit of an ECHConfigExtensionType marks the extension mandatory (§4.2). */
const MANDATORY_EXTENSION_BIT = 0x8000;

/**
 * ECHConfigExtension types this implementation understands. None are defined by the draft, so a
 * mandatory extension always makes its configuration unusable.
 */
const SUPPORTED_CONFIG_EXTENSIONS: ReadonlySet<number> = new Set();

/**
 * Encodes one ECHConfig of version 0xfe0d.
 *
 * @throws TlsError CONFIG when a field is out of the range its struct allows, or the public name
 *   is not a valid host name (§6.1.7)
 */
export function encodeEchConfig(contents: EchConfigContents): EchConfig {
  checkByte('config_id', contents.configId);
  checkByte('maximum_name_length', contents.maximumNameLength);
  checkU16('kem_id', contents.kemId);
  checkConfig('public_key', contents.publicKey.length, 1, 0xffff);
  checkConfig('cipher_suites', contents.cipherSuites.length * 4, 4, 0xfffc);
  const name = encodeAscii(contents.publicName);
  checkConfig('public_name', name.length, 1, 255);
  if (!isValidPublicName(contents.publicName)) {
    throw new TlsError('CONFIG', `tls: ECH public_name ${contents.publicName} is not a host name`, {
      layer: 'config',
    });
  }
  const seen = new Set<number>();
  for (const ext of contents.extensions) {
    checkU16('ECHConfigExtension type', ext.type);
    checkConfig('ECHConfigExtension data', ext.data.length, 0, 0xffff);
    if (seen.has(ext.type)) {
      throw new TlsError('CONFIG', `tls: duplicate ECHConfigExtension ${ext.type}`, {
        layer: 'config',
      });
    }
    seen.add(ext.type);
  }

  const w = new Writer(128);
  w.u16(ECH_VERSION);
  w.vec(2, (body) => {
    body.u8(contents.configId).u16(contents.kemId).vec16(contents.publicKey);
    body.vec(2, (suites) => {
      for (const s of contents.cipherSuites) {
        checkU16('kdf_id', s.kdfId);
        checkU16('aead_id', s.aeadId);
        suites.u16(s.kdfId).u16(s.aeadId);
      }
    });
    body.u8(contents.maximumNameLength).vec8(name);
    body.vec(2, (exts) => {
      for (const ext of contents.extensions) exts.u16(ext.type).vec16(ext.data);
    });
  });
  const raw = w.finish();
  return { version: ECH_VERSION, contents: cloneContents(contents), raw };
}

/*
 * draft-ietf-tls-esni §4:
 *
 *   ECHConfig ECHConfigList<4..2^16-1>;
 */

/**
 * Encodes an ECHConfigList from configurations in decreasing order of preference. Each entry's
 * `raw` bytes are written as they are, so configurations of other versions round-trip too.
 *
 * @throws TlsError CONFIG on an empty list or one longer than 2^16-1 bytes
 */
export function encodeEchConfigList(configs: readonly EchConfig[]): Uint8Array {
  let total = 0;
  for (const c of configs) total += c.raw.length;
  checkConfig('ECHConfigList', total, 4, 0xffff);
  const w = new Writer(total + 2);
  w.vec(2, (body) => {
    for (const c of configs) body.bytes(c.raw);
  });
  return w.finish();
}

/**
 * Decodes an ECHConfigList; configs of unknown versions are skipped (§4), mandatory unknown
 * extensions make a config unusable (§4.2); throws TlsError DECODE_ERROR on malformed input.
 *
 * A configuration whose public_name is not a valid host name, or whose final label could read
 * as an IPv4 literal, is skipped as well (§6.1.7 "Clients SHOULD ignore"). The result may be
 * empty. KEM and cipher-suite support is left to the caller (see `hpkeSuiteSupported`).
 *
 * @throws TlsError DECODE_ERROR when the list or a 0xfe0d configuration in it is malformed
 *   (bad lengths, trailing bytes, a duplicate extension)
 */
export function decodeEchConfigList(data: Uint8Array): EchConfig[] {
  const r = new Reader(data);
  const list = r.sub(2, 'ECHConfigList', 4, 0xffff);
  r.end('ECHConfigList');
  const out: EchConfig[] = [];
  while (!list.done) {
    const start = list.position;
    const version = list.u16('ECHConfig.version');
    const body = list.vec16('ECHConfig.contents');
    // §4: "Clients MUST ignore any ECHConfig structure with a version they do not support."
    // The length field lets us step over it without parsing.
    if (version !== ECH_VERSION) continue;
    const raw = data.slice(2 + start, 2 + list.position);
    const contents = decodeContents(body);
    if (!usableContents(contents)) continue;
    out.push({ version, contents, raw });
  }
  return out;
}

/** Parses ECHConfigContents strictly: every vector bounded, no trailing bytes. */
function decodeContents(body: Uint8Array): EchConfigContents {
  const r = new Reader(body);
  const configId = r.u8('ECHConfig.config_id');
  const kemId = r.u16('ECHConfig.kem_id');
  const publicKey = r.vec16('ECHConfig.public_key', 1).slice();
  const suites = r.vec16('ECHConfig.cipher_suites', 4, 0xfffc);
  if (suites.length % 4 !== 0) {
    throw decodeError(`tls: ECHConfig.cipher_suites length ${suites.length} not a multiple of 4`);
  }
  const cipherSuites: HpkeSymmetricCipherSuite[] = [];
  for (let i = 0; i < suites.length; i += 4) {
    cipherSuites.push({
      kdfId: (suites[i] << 8) | suites[i + 1],
      aeadId: (suites[i + 2] << 8) | suites[i + 3],
    });
  }
  const maximumNameLength = r.u8('ECHConfig.maximum_name_length');
  const nameBytes = r.vec8('ECHConfig.public_name', 1, 255);
  let publicName = '';
  for (const b of nameBytes) publicName += String.fromCharCode(b);
  const extensions = decodeConfigExtensions(r.vec16('ECHConfig.extensions'));
  r.end('ECHConfigContents');
  return {
    configId,
    kemId,
    publicKey,
    cipherSuites,
    maximumNameLength,
    publicName,
    extensions,
  };
}

/*
 * draft-ietf-tls-esni §4:
 *
 *   struct {
 *       ECHConfigExtensionType type;
 *       opaque data<0..2^16-1>;
 *   } ECHConfigExtension;
 */

function decodeConfigExtensions(block: Uint8Array): Extension[] {
  const r = new Reader(block);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (!r.done) {
    const type = r.u16('ECHConfigExtension.type');
    const data = r.vec16('ECHConfigExtension.data').slice();
    // §4.2: "there MUST NOT be more than one extension of the same type in the extensions
    // block."
    if (seen.has(type)) throw decodeError(`tls: duplicate ECHConfigExtension 0x${hex4(type)}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/** Whether a well-formed configuration is one a client may use. */
function usableContents(contents: EchConfigContents): boolean {
  // §4.2: "If an unsupported mandatory extension is present, clients MUST ignore the
  // ECHConfig."
  for (const ext of contents.extensions) {
    if ((ext.type & MANDATORY_EXTENSION_BIT) !== 0 && !SUPPORTED_CONFIG_EXTENSIONS.has(ext.type)) {
      return false;
    }
  }
  // §6.1.7: "Clients SHOULD ignore any ECHConfig structure with a public_name that is not a
  // valid host name in preferred name syntax".
  return isValidPublicName(contents.publicName);
}

/**
 * Whether `name` is a valid ECH public_name (draft §6.1.7): dot-separated LDH labels of 1..63
 * octets, no leading or trailing dot, and a final label that is neither all digits nor `0x`
 * followed by hex digits (which could read as an IPv4 literal).
 */
export function isValidPublicName(name: string): boolean {
  if (name.length < 1 || name.length > 255) return false;
  const labels = name.split('.');
  for (const label of labels) {
    // RFC 5890 §2.3.1 LDH label: letters, digits, hyphens; no leading or trailing hyphen.
    if (label.length < 1 || label.length > 63) return false;
    if (!/^[A-Za-z0-9-]+$/.test(label)) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
  }
  const last = labels[labels.length - 1];
  if (/^[0-9]+$/.test(last)) return false;
  if (/^0[xX][0-9A-Fa-f]*$/.test(last)) return false;
  return true;
}

function encodeAscii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c < 0x21) {
      throw new TlsError('CONFIG', 'tls: ECH public_name must be ASCII', { layer: 'config' });
    }
    out[i] = c;
  }
  return out;
}

function cloneContents(c: EchConfigContents): EchConfigContents {
  return {
    configId: c.configId,
    kemId: c.kemId,
    publicKey: c.publicKey.slice(),
    cipherSuites: c.cipherSuites.map((s) => ({ kdfId: s.kdfId, aeadId: s.aeadId })),
    maximumNameLength: c.maximumNameLength,
    publicName: c.publicName,
    extensions: c.extensions.map((e) => ({ type: e.type, data: e.data.slice() })),
  };
}

function checkConfig(field: string, length: number, min: number, max: number): void {
  if (length < min || length > max) {
    throw new TlsError('CONFIG', `tls: ECH ${field} length ${length} outside [${min}, ${max}]`, {
      layer: 'config',
    });
  }
}

function checkByte(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new TlsError('CONFIG', `tls: ECH ${field} ${v} is not a byte`, { layer: 'config' });
  }
}

function checkU16(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new TlsError('CONFIG', `tls: ECH ${field} ${v} is not a uint16`, { layer: 'config' });
  }
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

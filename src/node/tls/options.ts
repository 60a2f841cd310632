/**
 * node:tls options in webtls's terms: `ca`, `cert`, `key`, `passphrase`, `ALPNProtocols`,
 * `minVersion`/`maxVersion`, `ciphers`, `ecdhCurve` become a ClientConfig or ServerConfig.
 */
import { createPrivateKey } from 'node:crypto';
import { certifiedKeyFromPem } from '../../certified-key.ts';
import type { CertifiedKey } from '../../config.ts';
import { defaultProvider } from '../../crypto/index.ts';
import type { CryptoProvider } from '../../crypto/provider.ts';
import { TLS12_SUITES, TLS13_SUITES } from '../../crypto/suites.ts';
import { NamedGroup } from '../../msgs/enums.ts';
import { nodeError } from './errors.ts';

/** PEM text or bytes (a Buffer of PEM, or DER for `ca`). */
export type PemInput = string | Uint8Array;

/** A private key with its own passphrase, as node:tls accepts in `key`. */
export interface KeyWithPassphrase {
  pem: PemInput;
  passphrase?: string;
}

/** The node:tls options both sides take. */
export interface CommonTlsOptions {
  /** Trust anchors (PEM, several per string allowed, or DER). Default: Mozilla's roots. */
  ca?: PemInput | readonly PemInput[];
  /** Certificate chains (PEM, leaf first), one per key in `key`. */
  cert?: PemInput | readonly PemInput[];
  /** Private keys (PEM: PKCS#8, SEC1, PKCS#1; encrypted ones need `passphrase`). */
  key?: PemInput | readonly (PemInput | KeyWithPassphrase)[];
  /** The passphrase of encrypted keys in `key`. */
  passphrase?: string;
  /** ALPN protocols in preference order, or node's wire form (length-prefixed, one buffer). */
  ALPNProtocols?: readonly (string | Uint8Array)[] | Uint8Array;
  /** 'TLSv1.2' (default; lower values mean the same: webtls has nothing older) or 'TLSv1.3'. */
  minVersion?: string;
  /** 'TLSv1.3' (default) or 'TLSv1.2'. */
  maxVersion?: string;
  /** An OpenSSL cipher list: OpenSSL or IANA suite names, `!`/`-` exclusions, keywords. */
  ciphers?: string;
  /** Key-exchange groups, colon-separated ('X25519:P-256'), or 'auto' (webtls's defaults). */
  ecdhCurve?: string;
  /** Options prepared once with `createSecureContext`; its fields replace the ones above. */
  secureContext?: { readonly options: CommonTlsOptions };
  /** webtls: the crypto provider (default: `subtle`). */
  provider?: CryptoProvider;
}

/** A CONFIG-style error with node's code for invalid arguments. */
export function invalidOption(message: string, code = 'ERR_INVALID_ARG_VALUE'): Error {
  return nodeError(`tls: ${message}`, code);
}

function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

function text(input: PemInput): string {
  return typeof input === 'string' ? input : new TextDecoder('latin1').decode(input);
}

/** `ca` as webtls roots: PEM text stays text, bytes holding PEM become text, DER stays DER. */
export function rootsFrom(ca: CommonTlsOptions['ca']): (string | Uint8Array)[] | undefined {
  const list = asList(ca);
  if (list.length === 0) return undefined;
  return list.map((entry) => {
    if (typeof entry === 'string') return entry;
    const asText = text(entry);
    return asText.includes('-----BEGIN') ? asText : entry.slice();
  });
}

/** ALPN protocol names from node's forms (a list, or one buffer in wire format). */
export function alpnFrom(value: CommonTlsOptions['ALPNProtocols']): string[] | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) {
    // The wire form: each name prefixed by its one-byte length (RFC 7301 §3.1).
    const names: string[] = [];
    for (let at = 0; at < value.length; ) {
      const length = value[at];
      if (length === 0 || at + 1 + length > value.length) {
        throw invalidOption('ALPNProtocols is not a valid protocol name list');
      }
      names.push(new TextDecoder().decode(value.subarray(at + 1, at + 1 + length)));
      at += 1 + length;
    }
    return names;
  }
  return value.map((name) => (typeof name === 'string' ? name : new TextDecoder().decode(name)));
}

const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** node's version names as webtls's range; older minima are raised to TLS 1.2. */
export function versionsFrom(options: CommonTlsOptions): {
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
} {
  const check = (name: string | undefined, which: string) => {
    if (name !== undefined && !VERSIONS.includes(name)) {
      throw invalidOption(
        `${which} "${name}" is not a TLS version`,
        'ERR_TLS_INVALID_PROTOCOL_VERSION',
      );
    }
  };
  check(options.minVersion, 'minVersion');
  check(options.maxVersion, 'maxVersion');
  const max = options.maxVersion;
  if (max === 'TLSv1' || max === 'TLSv1.1') {
    throw invalidOption(
      `maxVersion ${max} is below TLS 1.2, the oldest version webtls speaks`,
      'ERR_TLS_INVALID_PROTOCOL_VERSION',
    );
  }
  const min = options.minVersion === 'TLSv1.3' ? 'TLSv1.3' : options.minVersion && 'TLSv1.2';
  return {
    minVersion: min as 'TLSv1.2' | 'TLSv1.3' | undefined,
    maxVersion: max as 'TLSv1.2' | 'TLSv1.3' | undefined,
  };
}

/** Every suite webtls implements, by OpenSSL name and by IANA name (upper case). */
const SUITE_NAMES: ReadonlyMap<string, number> = new Map([
  ...TLS13_SUITES.map((s) => [s.name, s.code] as const),
  ...TLS12_SUITES.flatMap((s) => [[s.opensslName, s.code] as const, [s.name, s.code] as const]),
]);

/** OpenSSL cipher-list keywords that select (a superset of) everything webtls implements. */
const ALL_KEYWORDS = new Set(['DEFAULT', 'ALL', 'HIGH', 'COMPLEMENTOFDEFAULT', 'ECDHE', 'EECDH']);

/**
 * The cipher suites an OpenSSL cipher list selects among webtls's, in the list's order (node's
 * `ciphers` names TLS 1.3 suites too). Keywords that select everything (DEFAULT, HIGH, ...)
 * add every suite; `!x` and `-x` remove suite x; `@...` and other keywords change nothing;
 * names of suites webtls does not implement (CBC, DHE, RSA key exchange) select nothing, as
 * OpenSSL ignores names it lacks. Undefined when `ciphers` is not given.
 *
 * @throws Error ERR_SSL_NO_CIPHER_MATCH when nothing webtls implements is selected
 */
export function cipherSuitesFrom(ciphers: string | undefined): number[] | undefined {
  if (ciphers === undefined) return undefined;
  const chosen: number[] = [];
  const add = (code: number) => {
    if (!chosen.includes(code)) chosen.push(code);
  };
  for (const raw of ciphers.split(/[:, ]+/).filter(Boolean)) {
    const removing = raw.startsWith('!') || raw.startsWith('-');
    const name = (removing || raw.startsWith('+') ? raw.slice(1) : raw).toUpperCase();
    const code = SUITE_NAMES.get(name);
    if (removing) {
      if (code !== undefined && chosen.includes(code)) chosen.splice(chosen.indexOf(code), 1);
    } else if (code !== undefined) {
      add(code);
    } else if (ALL_KEYWORDS.has(name)) {
      for (const c of SUITE_NAMES.values()) add(c);
    }
  }
  if (chosen.length === 0) {
    throw invalidOption(
      `no cipher suite webtls implements matches "${ciphers}"`,
      'ERR_SSL_NO_CIPHER_MATCH',
    );
  }
  return chosen;
}

/** Group names node (OpenSSL) accepts for `ecdhCurve`, case-insensitive. */
const GROUP_NAMES: Readonly<Record<string, number>> = {
  x25519mlkem768: NamedGroup.X25519MLKEM768,
  x25519: NamedGroup.x25519,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
  'p-521': NamedGroup.secp521r1,
  secp521r1: NamedGroup.secp521r1,
};

/** `ecdhCurve` as group code points; undefined for 'auto' or when not given. */
export function groupsFrom(ecdhCurve: string | undefined): number[] | undefined {
  if (ecdhCurve === undefined || ecdhCurve.toLowerCase() === 'auto') return undefined;
  return ecdhCurve.split(':').map((name) => {
    const code = GROUP_NAMES[name.trim().toLowerCase()];
    if (code === undefined) {
      throw invalidOption(`unknown ecdhCurve group "${name}"`, 'ERR_SSL_INVALID_ARGUMENT');
    }
    return code;
  });
}

/** Whether PEM text holds an encrypted private key (PKCS#8 or OpenSSL's legacy form). */
function isEncryptedKey(pem: string): boolean {
  return pem.includes('ENCRYPTED PRIVATE KEY') || pem.includes('Proc-Type: 4,ENCRYPTED');
}

/**
 * A private key as unencrypted PEM. Encrypted keys are decrypted with node:crypto (webtls's
 * own key loader does not decrypt), given their passphrase.
 */
function keyPem(entry: PemInput | KeyWithPassphrase, passphrase: string | undefined): string {
  const pem = text(typeof entry === 'object' && 'pem' in entry ? entry.pem : entry);
  const secret = typeof entry === 'object' && 'pem' in entry ? entry.passphrase : passphrase;
  if (!isEncryptedKey(pem)) return pem;
  if (secret === undefined) {
    throw invalidOption(
      'the private key is encrypted and no passphrase was given',
      'ERR_MISSING_PASSPHRASE',
    );
  }
  try {
    const key = createPrivateKey({ key: pem, passphrase: secret });
    return key.export({ type: 'pkcs8', format: 'pem' }) as string;
  } catch (cause) {
    throw nodeError(
      'tls: cannot decrypt the private key (wrong passphrase?)',
      'ERR_OSSL_BAD_DECRYPT',
      cause,
    );
  }
}

/**
 * The certificates of `cert` paired with the keys of `key`, by position (node pairs them by
 * key type; give them in the same order here).
 *
 * @throws Error when the counts differ or a key does not load
 */
export async function certifiedKeysFrom(
  options: CommonTlsOptions,
  provider: CryptoProvider,
): Promise<CertifiedKey[]> {
  const certs = asList(options.cert);
  const keys = asList(options.key as PemInput | (PemInput | KeyWithPassphrase)[] | undefined);
  if (certs.length !== keys.length) {
    throw invalidOption(`${certs.length} certificate(s) but ${keys.length} key(s)`);
  }
  return Promise.all(
    certs.map((cert, i) =>
      certifiedKeyFromPem(text(cert), keyPem(keys[i], options.passphrase), provider),
    ),
  );
}

/** The context fields in effect: those of `secureContext` when one is given. */
export function contextOptions(options: CommonTlsOptions): CommonTlsOptions {
  return options.secureContext
    ? {
        ...options.secureContext.options,
        provider: options.provider ?? options.secureContext.options.provider,
      }
    : options;
}

/** The parts of a ClientConfig or ServerConfig both sides take from node options. */
export function commonConfigFrom(options: CommonTlsOptions) {
  const context = contextOptions(options);
  const provider = context.provider ?? defaultProvider();
  return {
    provider,
    alpnProtocols: alpnFrom(options.ALPNProtocols ?? context.ALPNProtocols),
    cipherSuites: cipherSuitesFrom(context.ciphers),
    groups: groupsFrom(context.ecdhCurve),
    ...versionsFrom({
      minVersion: options.minVersion ?? context.minVersion,
      maxVersion: options.maxVersion ?? context.maxVersion,
    }),
  };
}

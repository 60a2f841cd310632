/** The names the CLI accepts for groups and cipher suites, as openssl spells them. */
import { TLS12_SUITES, TLS13_SUITES } from '../crypto/suites.ts';
import { CipherSuite, NamedGroup } from '../msgs/enums.ts';
import { UsageError } from './args.ts';

/** Group names, case-insensitive, with openssl's aliases. */
const GROUPS: Readonly<Record<string, number>> = {
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

/** TLS 1.3 suites by IANA name. */
const SUITES: Readonly<Record<string, number>> = {
  TLS_AES_128_GCM_SHA256: CipherSuite.TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384: CipherSuite.TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
};

/** Group code points for names like `X25519MLKEM768`, `X25519`, `P-256`, `secp384r1`. */
export function parseGroups(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = GROUPS[name.toLowerCase()];
    if (code === undefined) {
      throw new UsageError(`unknown group '${name}' (known: X25519MLKEM768, X25519, P-256, P-384)`);
    }
    return code;
  });
}

/** Cipher-suite code points for IANA names like `TLS_AES_128_GCM_SHA256`. */
export function parseCipherSuites(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = SUITES[name.toUpperCase()];
    if (code === undefined) {
      throw new UsageError(`unknown TLS 1.3 cipher suite '${name}' (use IANA TLS_* names)`);
    }
    return code;
  });
}

/** TLS 1.2 suites by OpenSSL name (ECDHE-ECDSA-AES128-GCM-SHA256, ...) or IANA name. */
const TLS12_NAMES: ReadonlyMap<string, number> = new Map(
  TLS12_SUITES.flatMap((s) => [
    [s.opensslName.toUpperCase(), s.code] as const,
    [s.name, s.code] as const,
  ]),
);

/** TLS 1.2 cipher-suite code points for `-cipher` names, as openssl spells them. */
export function parseTls12Ciphers(names: readonly string[]): number[] {
  return names.map((name) => {
    const code = TLS12_NAMES.get(name.toUpperCase());
    if (code === undefined) {
      const known = TLS12_SUITES.map((s) => s.opensslName).join(', ');
      throw new UsageError(`unknown TLS 1.2 cipher '${name}' (known: ${known})`);
    }
    return code;
  });
}

/**
 * The cipher-suite list from `-ciphersuites` (TLS 1.3) and `-cipher` (TLS 1.2), each defaulting
 * to every suite of its version that `allowed` accepts when only the other is given, as openssl
 * treats them; undefined when neither is given. Named suites are kept as given.
 */
export function combinedSuites(
  tls13: readonly string[] | undefined,
  tls12: readonly string[] | undefined,
  allowed: (code: number) => boolean = () => true,
): number[] | undefined {
  if (!tls13 && !tls12) return undefined;
  return [
    ...(tls13 ? parseCipherSuites(tls13) : TLS13_SUITES.map((s) => s.code).filter(allowed)),
    ...(tls12 ? parseTls12Ciphers(tls12) : TLS12_SUITES.map((s) => s.code).filter(allowed)),
  ];
}

/**
 * `-cert_comp LIST` for `webtls s_client` and `s_server`: RFC 8879 certificate compression, the
 * algorithms named in preference order (like `openssl s_client -cert_comp` in OpenSSL 3.2+, which
 * takes no list).
 */
import type { CertCompressionAlgorithm } from '../certcomp/algorithm.ts';
import { brotli } from '../certcomp/brotli.ts';
import { zlib } from '../certcomp/zlib.ts';
import { zstd } from '../certcomp/zstd.ts';
import { loadBrotliNode } from '../node/brotli.ts';
import { type FlagSpec, type ParsedFlags, stringFlag, UsageError } from './args.ts';

/** The flag, for a command's FlagSpec. */
export const CERT_COMP_FLAGS: FlagSpec = { cert_comp: 'string' };

/** The flag's lines in a command's usage text. */
export const CERT_COMP_USAGE = `  -cert_comp LIST       RFC 8879 certificate compression (TLS 1.3): brotli, zlib, zstd,
                        comma-separated in preference order. Listed algorithms are offered for
                        the peer's certificate; ours goes compressed with the first one the
                        peer also lists (zstd only decompresses). The summary shows
                        "Cert compression: ALG (UNCOMPRESSED -> COMPRESSED bytes)" or "none"`;

/** Each name's algorithm; brotli-wasm loads through Node's require on first use. */
const ALGORITHMS: ReadonlyMap<string, () => CertCompressionAlgorithm> = new Map([
  ['brotli', () => brotli({ load: loadBrotliNode })],
  ['zlib', () => zlib],
  ['zstd', () => zstd()],
]);

/**
 * The algorithms `-cert_comp` names, in its order; undefined without the flag.
 *
 * @throws UsageError for an empty list, an unknown name or a name given twice
 */
export function certCompressionFromFlags(
  flags: ParsedFlags,
): CertCompressionAlgorithm[] | undefined {
  const text = stringFlag(flags, 'cert_comp');
  if (text === undefined) return undefined;
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new UsageError(`-cert_comp has an empty name: '${text}'`);
  const seen = new Set<string>();
  return names.map((name) => {
    const make = ALGORITHMS.get(name);
    if (!make) {
      throw new UsageError(`-cert_comp: unknown algorithm '${name}' (brotli, zlib or zstd)`);
    }
    if (seen.has(name)) throw new UsageError(`-cert_comp names '${name}' twice`);
    seen.add(name);
    return make();
  });
}

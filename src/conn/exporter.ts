/**
 * Keying material exporters: TLS 1.3 (RFC 8446 §7.5) and TLS 1.2 (RFC 5705 §4). The handshake
 * records what each version needs once its secrets exist; `exportKeyingMaterial` derives from it.
 */
import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { prf } from '../keyschedule/tls12.ts';
import { exportKeyingMaterial as tls13Exporter } from '../keyschedule/tls13.ts';
import { concat } from '../util/bytes.ts';

/** What a connection keeps for its exporter, per version. Holds secrets: never log it. */
export type ExporterSource =
  | { version: 'TLSv1.3'; hash: HashAlgorithm; exporterSecret: Uint8Array }
  | {
      version: 'TLSv1.2';
      hash: HashAlgorithm;
      masterSecret: Uint8Array;
      clientRandom: Uint8Array;
      serverRandom: Uint8Array;
    };

/**
 * RFC 5705 §4: labels the TLS 1.2 PRF uses itself must not be exported under (RFC 5246 §5 and
 * RFC 7627 §4 name them), or the exporter would hand out the connection's own keys.
 */
const RESERVED_TLS12_LABELS = new Set([
  'client finished',
  'server finished',
  'master secret',
  'extended master secret',
  'key expansion',
]);

/**
 * Derives `length` bytes of keying material for `label` and `context`. TLS 1.3 treats an absent
 * context as empty (RFC 8446 §7.5); TLS 1.2 distinguishes them (RFC 5705 §4: with a context the
 * seed carries its two-byte length, without one it does not).
 *
 * @throws TlsError CONFIG for a reserved TLS 1.2 label, a context of 2^16 bytes or more, or a
 *   length that is not a positive integer.
 */
export async function deriveExport(
  provider: CryptoProvider,
  source: ExporterSource,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length <= 0 || length > 0xffff * 32) {
    throw exportError(`tls: exporter length ${length} is out of range`);
  }
  if (context && context.length > 0xffff) {
    throw exportError('tls: exporter context must be shorter than 65536 bytes');
  }
  if (source.version === 'TLSv1.3') {
    return tls13Exporter(
      provider,
      source.hash,
      source.exporterSecret,
      label,
      context ?? new Uint8Array(0),
      length,
    );
  }
  if (RESERVED_TLS12_LABELS.has(label)) {
    throw exportError(`tls: exporter label "${label}" is reserved (RFC 5705 §4)`);
  }
  // RFC 5705 §4: PRF(SecurityParameters.master_secret, label,
  //   SecurityParameters.client_random + SecurityParameters.server_random
  //   [+ context_value_length + context_value])[length]
  const seed = context
    ? concat(
        source.clientRandom,
        source.serverRandom,
        new Uint8Array([context.length >> 8, context.length & 0xff]),
        context,
      )
    : concat(source.clientRandom, source.serverRandom);
  return prf(provider, source.hash, source.masterSecret, label, seed, length);
}

function exportError(message: string): TlsError {
  return new TlsError('CONFIG', message, { layer: 'app' });
}

/** The TLS 1.2 exporter source (copies of the secrets, so callers may wipe theirs). */
export function tls12Exporter(
  hash: HashAlgorithm,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): ExporterSource {
  return {
    version: 'TLSv1.2',
    hash,
    masterSecret: masterSecret.slice(),
    clientRandom: clientRandom.slice(),
    serverRandom: serverRandom.slice(),
  };
}

import {
  type CertCompressionAlgorithm,
  checkDeclaredLength,
  decompressError,
} from '../certcomp/algorithm.ts';
import { CompressedChainCache } from '../certcomp/chain-cache.ts';
import type { ConnectionCore } from '../conn/core.ts';
import {
  decodeCompressedCertificate,
  encodeCompressedCertificate,
} from '../msgs/compressed-certificate.ts';
import { ExtensionType, HandshakeType } from '../msgs/enums.ts';
import {
  decodeCompressCertificate,
  encodeCompressCertificate,
} from '../msgs/extensions/compress-certificate.ts';
import { type Extension, findExtension } from '../msgs/extensions/extension.ts';

/**
 * RFC 8879 certificate compression in the TLS 1.3 handshake, for both sides and both
 * directions: the compress_certificate extension (in ClientHello for the server's certificate,
 * in CertificateRequest for the client's), sending a CompressedCertificate in place of
 * Certificate, and receiving one with its limits. "This extension is only supported with TLS 1.3"
 * (§3): TLS 1.2 ignores it.
 */

/** compress_certificate listing what we can decompress, in our order; none when empty. */
export function compressionExtension(
  algorithms: readonly CertCompressionAlgorithm[],
): Extension | undefined {
  if (algorithms.length === 0) return undefined;
  return {
    type: ExtensionType.compress_certificate,
    data: encodeCompressCertificate(algorithms.map((a) => a.id)),
  };
}

/** The algorithm IDs a peer's compress_certificate lists (empty without the extension). */
export function offeredAlgorithms(extensions: readonly Extension[]): number[] {
  const ext = findExtension(extensions, ExtensionType.compress_certificate);
  return ext ? decodeCompressCertificate(ext) : [];
}

/**
 * RFC 8879 §4: a received CompressedCertificate becomes the Certificate body it stands for. The
 * algorithm must be one we listed; the declared length is capped at `maxLength` (the largest
 * handshake message we accept) before any work; the output must be exactly that long. Every
 * failure is bad_certificate.
 */
export async function decompressCertificate(
  conn: ConnectionCore,
  ours: readonly CertCompressionAlgorithm[],
  body: Uint8Array,
  maxLength: number,
): Promise<Uint8Array> {
  const cc = decodeCompressedCertificate(body);
  const algorithm = ours.find((a) => a.id === cc.algorithm);
  if (!algorithm) {
    // "The algorithm MUST be one of the algorithms listed in the peer's compress_certificate
    // extension"; we cannot decompress anything else.
    throw decompressError(`algorithm ${cc.algorithm}`, 'not one we offered');
  }
  checkDeclaredLength(cc.uncompressedLength, maxLength);
  const certificate = await algorithm.decompress(cc.compressed, cc.uncompressedLength);
  conn.info.certCompression = summary(algorithm.name, cc.uncompressedLength, cc.compressed.length);
  return certificate;
}

/** Server chains compressed once per algorithm, shared by every connection. */
const chains = new CompressedChainCache();

/**
 * Our Certificate message: a CompressedCertificate with the first of our algorithms that the
 * peer lists and that can compress here, else the plain Certificate. `cacheKey` (the
 * CertifiedKey) lets each chain be compressed once per algorithm; pass it only for bodies that
 * depend on nothing else (an empty certificate_request_context).
 */
export async function certificateMessage(
  conn: ConnectionCore,
  ours: readonly CertCompressionAlgorithm[],
  peer: readonly number[],
  certificate: Uint8Array,
  cacheKey: object | undefined,
): Promise<{ type: number; body: Uint8Array; name: string }> {
  const algorithm = ours.find((a) => a.compress !== undefined && peer.includes(a.id));
  if (!algorithm)
    return { type: HandshakeType.certificate, body: certificate, name: 'Certificate' };
  const { compressed, uncompressedLength } = cacheKey
    ? await chains.get(cacheKey, algorithm, () => certificate)
    : {
        compressed: await algorithm.compress!(certificate),
        uncompressedLength: certificate.length,
      };
  conn.info.certCompression = summary(algorithm.name, uncompressedLength, compressed.length);
  return {
    type: HandshakeType.compressed_certificate,
    body: encodeCompressedCertificate({ algorithm: algorithm.id, uncompressedLength, compressed }),
    name: `CompressedCertificate (${algorithm.name})`,
  };
}

/** `info.certCompression`: e.g. "brotli (4012 -> 2950 bytes)". */
function summary(name: string, uncompressed: number, compressed: number): string {
  return `${name} (${uncompressed} -> ${compressed} bytes)`;
}

/**
 * The connection summary both commands print: one fact per line, `Name: value`, in a fixed
 * order, so scripts can grep it.
 */
import type { ConnectionInfo } from '../conn/types.ts';
import { certificateSummary } from '../verify/index.ts';

/** The summary lines for a connection whose handshake completed. */
export function summaryLines(info: ConnectionInfo): string[] {
  return [
    `Protocol: ${info.protocol ?? 'unknown'}`,
    `Cipher: ${info.cipherSuite ?? 'unknown'}`,
    `Group: ${info.group ?? 'unknown'}`,
    `HelloRetryRequest: ${info.helloRetry ? 'yes' : 'no'}`,
    `ALPN: ${info.alpn ?? 'none'}`,
    `SNI: ${info.serverName ?? 'none'}`,
    `Resumed: ${info.resumed ? 'yes' : 'no'}`,
    `Early data: ${info.earlyData}`,
    `ECH: ${info.ech}`,
    `Cert compression: ${info.certCompression}`,
    `Peer certificate: ${peerSubject(info)}`,
    `Peer signature: ${info.peerSignatureScheme ?? 'none'}`,
    `Verification: ${info.verification}`,
  ];
}

function peerSubject(info: ConnectionInfo): string {
  const leaf = info.peerCertificates[0];
  if (!leaf) return 'none';
  try {
    return certificateSummary(leaf);
  } catch {
    return '(unparsable certificate)';
  }
}

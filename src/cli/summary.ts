/**
 * The connection summary both commands print: one fact per line, `Name: value`, in a fixed
 * order, so scripts can grep it.
 */
import type { ConnectionInfo } from '../conn/types.ts';
import { certificateSummary, isIpAddress } from '../verify/index.ts';

/** The summary lines for a connection whose handshake completed. */
export function summaryLines(info: ConnectionInfo): string[] {
  return [
    `Protocol: ${info.protocol ?? 'unknown'}`,
    `Cipher: ${info.cipherSuite ?? 'unknown'}`,
    `Group: ${info.group ?? 'unknown'}`,
    `HelloRetryRequest: ${info.helloRetry ? 'yes' : 'no'}`,
    `ALPN: ${info.alpn ?? 'none'}`,
    `SNI: ${sni(info)}`,
    `Resumed: ${info.resumed ? 'yes' : 'no'}`,
    `Early data: ${info.earlyData}`,
    `ECH: ${info.ech}`,
    `Cert compression: ${info.certCompression}`,
    `Peer certificate: ${peerSubject(info)}`,
    `Peer signature: ${info.peerSignatureScheme ?? 'none'}`,
    `Verification: ${info.verification}`,
  ];
}

/** The SNI sent or received. RFC 6066 §3: literal IP addresses are never sent as SNI. */
function sni(info: ConnectionInfo): string {
  const name = info.serverName;
  return name === undefined || isIpAddress(name) ? 'none' : name;
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

/**
 * The connection summary both commands print: one fact per line, `Name: value`, in a fixed
 * order, so scripts can grep it.
 */
import type { ConnectionInfo } from '../conn/types.ts';
import type { TlsError } from '../error.ts';
import { toBase64 } from '../util/bytes.ts';
import { certificateSummary, isIpAddress } from '../verify/index.ts';
import { recordSizeLimitLine } from './record-size.ts';

/** What the summary cannot read from ConnectionInfo. */
export interface SummaryContext {
  /**
   * Server: it holds ECH keys, so a rejected ECH offer (a GREASE one, or one for a key it no
   * longer holds) was answered with retry configurations (draft-ietf-tls-esni §7.1).
   */
  echRetryConfigsSent?: boolean;
}

/** The summary lines for a connection whose handshake completed. */
export function summaryLines(info: ConnectionInfo, context: SummaryContext = {}): string[] {
  return [
    `Protocol: ${info.protocol ?? 'unknown'}`,
    `Cipher: ${info.cipherSuite ?? 'unknown'}`,
    `Group: ${info.group ?? 'unknown'}`,
    `HelloRetryRequest: ${info.helloRetry ? 'yes' : 'no'}`,
    `ALPN: ${info.alpn ?? 'none'}`,
    `SNI: ${sni(info)}`,
    ...(info.outerServerName === undefined ? [] : [`Outer SNI: ${info.outerServerName}`]),
    `Resumed: ${info.resumed ? 'yes' : 'no'}`,
    `Early data: ${info.earlyData}`,
    `ECH: ${echState(info.ech, context.echRetryConfigsSent)}`,
    `Cert compression: ${info.certCompression}`,
    recordSizeLimitLine(info),
    `Peer certificate: ${peerSubject(info)}`,
    `Peer signature: ${info.peerSignatureScheme ?? 'none'}`,
    `Verification: ${info.verification}`,
    `FIPS: ${info.fips ? 'yes' : 'no'}`,
  ];
}

/**
 * `accepted`, `grease`, `not offered`, or `rejected` with whether retry configurations were
 * offered (`rejected (retry configs offered)` / `rejected (no retry configs)`).
 */
function echState(ech: string, retryConfigs: boolean | undefined): string {
  if (ech !== 'rejected' || retryConfigs === undefined) return ech;
  return retryConfigs ? 'rejected (retry configs offered)' : 'rejected (no retry configs)';
}

/**
 * The client's lines for a handshake that ended with ECH_REQUIRED (draft-ietf-tls-esni §6.1.6):
 * the ECH state and, when the server sent them, its retry configurations in base64, to pass to
 * `-ech_config_list` on a new connection. Without them the server has disabled ECH.
 */
export function echRejectedLines(error: TlsError): string[] {
  const retry = error.echRetryConfigs;
  if (!retry) return [`ECH: ${echState('rejected', false)}`];
  return [`ECH: ${echState('rejected', true)}`, `ECH retry configs: ${toBase64(retry)}`];
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

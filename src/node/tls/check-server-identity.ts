/**
 * `checkServerIdentity(hostname, cert)` with node:tls's rules, which differ from webtls's own
 * (RFC 6125 without CN) in one way: a certificate without DNS subjectAltNames is matched by its
 * subject CN. IP addresses match only IP Address entries; a wildcard is allowed only in the
 * left-most label, at most one, not in a label holding an IDNA A-label, and not above a name of
 * fewer than three labels.
 */
import { equalBytes } from '../../util/bytes.ts';
import { parseIpAddress } from '../../verify/names.ts';
import { type NodeTlsError, nodeError } from './errors.ts';
import type { PeerCertificate } from './peer-certificate.ts';

/** The Error for a name mismatch, with `reason`, `host` and `cert` as node:tls sets them. */
export interface AltNameError extends NodeTlsError {
  host: string;
  cert: PeerCertificate;
}

/** Drops one trailing dot: `example.com.` and `example.com` are the same name. */
function withoutRootDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function labels(name: string): string[] {
  return withoutRootDot(name).toLowerCase().split('.');
}

/**
 * The entries of node's `subjectaltname` string (`DNS:a, IP Address:1.2.3.4`). Values that
 * contain separators are quoted by node (JSON string syntax), so quotes are honoured.
 */
function altNameEntries(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let entry = '';
    while (at < text.length && text[at] !== ',') {
      if (text[at] === '"') {
        const end = closingQuote(text, at);
        entry += JSON.parse(text.slice(at, end + 1)) as string;
        at = end + 1;
      } else {
        entry += text[at];
        at++;
      }
    }
    out.push(entry.trim());
    at++;
  }
  return out;
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** Whether `host` (already split into lowercase labels) matches the presented `pattern`. */
function matchesPattern(host: string[], pattern: string): boolean {
  if (!pattern) return false;
  const presented = labels(pattern);
  if (presented.length !== host.length || presented.includes('')) return false;
  // Printable ASCII only: anything else is refused rather than guessed at.
  if (presented.some((label) => /[^\x21-\x7e]/.test(label))) return false;
  for (let i = 1; i < host.length; i++) {
    if (presented[i] !== host[i]) return false;
  }
  const [first] = presented;
  const stars = first.split('*').length - 1;
  if (stars === 0 || first.includes('xn--')) return first === host[0];
  // One wildcard, in the left-most label, and not directly under a top-level domain.
  if (stars > 1 || presented.length < 3) return false;
  const [prefix, suffix] = first.split('*');
  const label = host[0];
  return (
    prefix.length + suffix.length <= label.length &&
    label.startsWith(prefix) &&
    label.endsWith(suffix)
  );
}

function mismatch(reason: string, host: string, cert: PeerCertificate): AltNameError {
  const error = nodeError(
    `tls: certificate is not valid for "${host}": ${reason}`,
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ) as AltNameError;
  error.reason = reason;
  error.host = host;
  error.cert = cert;
  return error;
}

/**
 * Checks that `cert` (in getPeerCertificate's shape) is valid for `hostname`. Returns an Error
 * with code ERR_TLS_CERT_ALTNAME_INVALID when it is not, undefined when it is.
 */
export function checkServerIdentity(
  hostname: string,
  cert: PeerCertificate,
): AltNameError | undefined {
  const host = withoutRootDot(String(hostname));
  const altNames = cert.subjectaltname ?? '';
  const entries = altNames ? altNameEntries(altNames) : [];
  const dnsNames = entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4));
  const ipNames = entries.filter((e) => e.startsWith('IP Address:')).map((e) => e.slice(11));

  const address = parseIpAddress(host);
  if (address) {
    const found = ipNames.some((text) => {
      const ip = parseIpAddress(text);
      return ip !== undefined && equalBytes(ip, address);
    });
    if (found) return undefined;
    const list = ipNames.join(', ') || 'none';
    return mismatch(`its IP addresses are ${list}`, host, cert);
  }

  const hostLabels = labels(host);
  if (dnsNames.length > 0) {
    if (dnsNames.some((name) => matchesPattern(hostLabels, name))) return undefined;
    return mismatch(`its subjectAltName is ${altNames}`, host, cert);
  }
  const cn = cert.subject?.CN;
  if (cn) {
    const names = Array.isArray(cn) ? cn : [cn];
    if (names.some((name) => matchesPattern(hostLabels, name))) return undefined;
    return mismatch(`it has no DNS subjectAltName and its CN is ${names.join(', ')}`, host, cert);
  }
  return mismatch('it names no DNS name', host, cert);
}

/**
 * Reference identities (RFC 6125) and IP addresses: parsing the name a client connects to,
 * matching it against a certificate's subjectAltName entries, and the subtree tests that name
 * constraints (RFC 5280 §4.2.1.10) need.
 *
 * Only subjectAltName is consulted: RFC 6125 §6.4.4 permits a CN fallback, but webtls follows
 * the CA/Browser Forum and current browsers in never using the CN.
 */

/**
 * Parses an IPv4 dotted quad (`127.0.0.1`) or IPv6 text (RFC 4291 §2.2, with `::` compression
 * and a trailing dotted quad such as `::ffff:192.0.2.1`) into 4 or 16 bytes. An IPv6 address may
 * be wrapped in brackets, as in a URL. Returns undefined for anything else, including zone IDs
 * and IPv4 parts with leading zeros (ambiguous between decimal and octal readings).
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.startsWith('[') && text.endsWith(']')) return parseIpv6(text.slice(1, -1));
  if (text.includes(':')) return parseIpv6(text);
  return parseIpv4(text);
}

/** True when `text` is an IPv4 or IPv6 address, in which case no SNI is sent (RFC 6066 §3). */
export function isIpAddress(text: string): boolean {
  return parseIpAddress(text) !== undefined;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const groups: number[] = [];
  const pushGroups = (list: string[], isLast: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (isLast && i === list.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return false;
        groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        groups.push(Number.parseInt(g, 16));
      }
    }
    return true;
  };
  const compressed = halves.length === 2;
  if (!pushGroups(head, !compressed)) return undefined;
  const headCount = groups.length;
  if (!pushGroups(tail, true)) return undefined;
  const tailGroups = groups.splice(headCount);
  if (compressed) {
    // RFC 4291 §2.2: `::` stands for one or more groups of zeros.
    const missing = 8 - groups.length - tailGroups.length;
    if (missing < 1) return undefined;
    for (let i = 0; i < missing; i++) groups.push(0);
  }
  groups.push(...tailGroups);
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  return out;
}

/** Formats 4 or 16 address bytes (RFC 5952 §4 for IPv6); other lengths as hex. */
export function formatIpAddress(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join('.');
  if (ip.length !== 16) return Array.from(ip, (b) => b.toString(16).padStart(2, '0')).join('');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i] << 8) | ip[i + 1]);
  // RFC 5952 §4.2: compress the longest run of two or more zero groups (the first on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Equality of two addresses of the same family. */
export function equalIp(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Normalises a reference DNS name: lower-cases ASCII, drops one trailing dot, and checks each
 * label is LDH (plus `_`, seen in real names) and at most 63 octets, the whole at most 253.
 * Returns undefined when the name is not a usable DNS name. Internationalised names must
 * already be in A-label (`xn--`) form.
 */
export function normaliseDnsName(name: string): string | undefined {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length === 0 || n.length > 253) return undefined;
  if (!n.split('.').every((l) => LABEL.test(l))) return undefined;
  // An all-numeric final label would make the name read as an IPv4 address.
  if (/^\d+$/.test(n.slice(n.lastIndexOf('.') + 1))) return undefined;
  return n;
}

/**
 * Normalises a DNS name as presented in a certificate (a dNSName SAN, or a name constraint's
 * base), allowing a `*` left-most label when `allowWildcard`. Returns undefined when invalid.
 */
function normalisePresented(name: string, allowWildcard: boolean): string | undefined {
  if (allowWildcard && name.startsWith('*.')) {
    const rest = normaliseDnsName(name.slice(2));
    return rest === undefined || name.endsWith('.') ? undefined : `*.${rest}`;
  }
  if (name.endsWith('.')) return undefined;
  return normaliseDnsName(name);
}

/**
 * RFC 6125 §6.4: does the certificate's dNSName `presented` match the reference `reference`?
 * Case-insensitive; a wildcard is honoured only as the entire left-most label (§6.4.3, with the
 * stricter CA/Browser Forum reading: no `f*.example.com`), matches exactly one non-empty label,
 * and needs at least two labels after it, so `*` and `*.com` match nothing.
 */
export function matchDnsName(presented: string, reference: string): boolean {
  const ref = normaliseDnsName(reference);
  const pres = normalisePresented(presented, true);
  if (ref === undefined || pres === undefined) return false;
  if (!pres.startsWith('*.')) return pres === ref;
  const suffix = pres.slice(2);
  if (!suffix.includes('.')) return false;
  const dot = ref.indexOf('.');
  return dot > 0 && ref.slice(dot + 1) === suffix;
}

/** The reference identity a client checks: a DNS name or an IP address, never both. */
export type ReferenceId = { type: 'dns'; name: string } | { type: 'ip'; address: Uint8Array };

/** Classifies the name a client connects to. Returns undefined when it is neither. */
export function referenceId(name: string): ReferenceId | undefined {
  const address = parseIpAddress(name);
  if (address) return { type: 'ip', address };
  const dns = normaliseDnsName(name);
  return dns === undefined ? undefined : { type: 'dns', name: dns };
}

/**
 * Matches a reference identity against a certificate's SANs: an IP reference only against
 * iPAddress entries (RFC 6125 §1.7.2 leaves IPs out of DNS matching; RFC 5280 §4.2.1.6 puts them
 * in iPAddress), a DNS reference only against dNSName entries. A dNSName that spells an IP
 * address never matches an IP reference.
 */
export function matchesIdentity(
  id: ReferenceId,
  sans: { dnsNames: readonly string[]; ipAddresses: readonly Uint8Array[] },
): boolean {
  if (id.type === 'ip') return sans.ipAddresses.some((ip) => equalIp(ip, id.address));
  return sans.dnsNames.some((dns) => matchDnsName(dns, id.name));
}

/**
 * RFC 5280 §4.2.1.10: is the presented DNS name inside the subtree `base`? A name is inside
 * when it is `base` with zero or more labels added on the left; an empty base holds every
 * name, and a base with a leading dot holds only proper subdomains (a common CA reading).
 * A wildcard name is inside when every name it can match is.
 *
 * Returns undefined when the presented name or the base is malformed.
 */
export function dnsNameInSubtree(presented: string, base: string): boolean | undefined {
  const name = normalisePresented(presented, true);
  if (name === undefined) return undefined;
  if (base === '') return true;
  const subdomainsOnly = base.startsWith('.');
  const b = normalisePresented(subdomainsOnly ? base.slice(1) : base, false);
  if (b === undefined) return undefined;
  if (name === b) return !subdomainsOnly;
  return name.endsWith(`.${b}`);
}

/**
 * Whether the presented DNS name could match any name in the subtree `base` — for excluded
 * subtrees, where a wildcard that reaches into the subtree must count as inside it
 * (`*.example.com` against an excluded `a.example.com`). Undefined when malformed.
 */
export function dnsNameTouchesSubtree(presented: string, base: string): boolean | undefined {
  const inside = dnsNameInSubtree(presented, base);
  if (inside !== false) return inside;
  const name = normalisePresented(presented, true)!;
  if (!name.startsWith('*.')) return false;
  const b = normalisePresented(base.startsWith('.') ? base.slice(1) : base, false);
  if (b === undefined) return undefined;
  // `*.rest` can become `b` when `b` is exactly one label followed by `rest`.
  const dot = b.indexOf('.');
  return dot > 0 && b.slice(dot + 1) === name.slice(2);
}

/**
 * RFC 5280 §4.2.1.10: is `ip` (4 or 16 bytes) inside the subtree `base`, an address followed
 * by a mask of the same length (8 or 32 bytes)? Addresses of the other family are never inside.
 * Returns undefined when the base is malformed (wrong length or a non-contiguous mask).
 */
export function ipInSubtree(ip: Uint8Array, base: Uint8Array): boolean | undefined {
  if (base.length !== 8 && base.length !== 32) return undefined;
  const half = base.length / 2;
  if (!isContiguousMask(base.subarray(half))) return undefined;
  if (ip.length !== half) return false;
  for (let i = 0; i < half; i++) {
    if ((ip[i] & base[half + i]) !== (base[i] & base[half + i])) return false;
  }
  return true;
}

function isContiguousMask(mask: Uint8Array): boolean {
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

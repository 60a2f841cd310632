/**
 * The relay's policy, shared by the Node relay and the Worker relay: which destinations a
 * WebSocket may be relayed to (an allowlist, deny by default) and the limits on each connection.
 * Runtime-neutral: no `node:*`, no `Buffer`, no console.
 *
 * Security: a relay that connects anywhere is an open proxy and a server-side request forgery
 * hole (it reaches loopback services, cloud metadata addresses and the private network on behalf
 * of any web page). So:
 *
 * - Nothing is allowed unless an entry lists it. There is no "allow everything" entry.
 * - IP destinations must be listed explicitly, literal for literal. A name entry never matches
 *   an IP literal, and IPv4-mapped IPv6 (`::ffff:127.0.0.1`) does not match `127.0.0.1`.
 * - Names are matched as given, lowercased, without resolving them. A listed name is trusted to
 *   resolve where its owner says: if that owner (or whoever controls its DNS) points it at an
 *   internal address, the relay connects there (DNS rebinding). List only names whose DNS you
 *   trust, and run the relay where the networks it can reach are what you intend.
 */

/** The largest port number. */
const MAX_PORT = 65_535;
/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire, 253 characters as text. */
const MAX_NAME_LENGTH = 253;
/** RFC 1035 §2.3.4: a label is at most 63 octets. */
const MAX_LABEL_LENGTH = 63;

/** What kind of host a destination or an allowlist entry names. */
export type HostKind = 'name' | 'ipv4' | 'ipv6';

/** A destination a client asked for, parsed and normalised. */
export interface Destination {
  /** Lowercased name, dotted-decimal IPv4, or compressed IPv6 without brackets. */
  host: string;
  kind: HostKind;
  port: number;
}

/** One allowlist entry, parsed. */
export interface AllowRule {
  /** The entry as written, for messages. */
  entry: string;
  /** The host, normalised like {@link Destination.host}; for a wildcard, the suffix after `*.`. */
  host: string;
  kind: HostKind;
  /** `*.example.com`: any name with one or more labels before `.example.com`. */
  wildcard: boolean;
  portMin: number;
  portMax: number;
}

/** The limits a relay enforces. */
export interface RelayLimits {
  /** Connections open at once, in total (default 256). */
  maxConnections: number;
  /** Connections open at once from one client address (default 16). */
  maxConnectionsPerClient: number;
  /** Bytes relayed per connection in each direction before it is closed (default 64 MiB). */
  maxBytesPerDirection: number;
  /** Milliseconds without a byte in either direction before a connection is closed (60 s). */
  idleTimeoutMs: number;
  /** Milliseconds the TCP connection to the destination may take to open (10 s). */
  connectTimeoutMs: number;
  /** The largest WebSocket message accepted from a client, in bytes (default 1 MiB). */
  maxMessageBytes: number;
}

/** The limits used when none are given. */
export const DEFAULT_LIMITS: Readonly<RelayLimits> = Object.freeze({
  maxConnections: 256,
  maxConnectionsPerClient: 16,
  maxBytesPerDirection: 64 * 1024 * 1024,
  idleTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  maxMessageBytes: 1024 * 1024,
});

/** WebSocket close codes the relay sends (RFC 6455 §7.4.1 and the IANA registry). */
export const CloseCode = {
  /** The destination closed the TCP connection, or the client closed normally. */
  normal: 1000,
  /** The relay is shutting down. */
  goingAway: 1001,
  /** The client sent a text message: only binary messages carry TLS bytes. */
  unsupportedData: 1003,
  /** Refused by policy (destination, query, origin) or a per-connection limit was hit. */
  policy: 1008,
  /** A message larger than {@link RelayLimits.maxMessageBytes}. */
  tooBig: 1009,
  /** The relay itself failed. */
  internalError: 1011,
  /** Too many connections, in total or from this client: try again later. */
  tryAgainLater: 1013,
  /** The destination could not be reached, or its connection failed. */
  badGateway: 1014,
} as const;

/** The result of a check: allowed, or refused with a reason that may be shown to the client. */
export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Parses allowlist entries: `example.com:443`, `*.example.com:443`, `127.0.0.1:8443`,
 * `[::1]:8443`, `localhost:1024-65535`. A string is split on commas and whitespace.
 *
 * @throws RangeError naming the first entry that is not valid
 */
export function parseAllowlist(entries: string | readonly string[]): AllowRule[] {
  const list = typeof entries === 'string' ? [entries] : entries;
  return list
    .flatMap((item) => item.split(/[\s,]+/))
    .filter((entry) => entry !== '')
    .map(parseAllowRule);
}

/**
 * Parses one allowlist entry, `HOST:PORT` or `HOST:MIN-MAX`.
 *
 * @throws RangeError saying what is wrong with the entry
 */
export function parseAllowRule(entry: string): AllowRule {
  const fail = (why: string) => new RangeError(`relay: allowlist entry "${entry}": ${why}`);
  const colon = entry.lastIndexOf(':');
  if (colon <= 0) throw fail('expected HOST:PORT or HOST:MIN-MAX');
  const hostText = entry.slice(0, colon);
  const portText = entry.slice(colon + 1);

  const range = /^(\d+)-(\d+)$/.exec(portText);
  const portMin = parsePort(range ? range[1] : portText);
  const portMax = range ? parsePort(range[2]) : portMin;
  if (portMin === undefined || portMax === undefined) {
    throw fail('the port must be an integer from 1 to 65535, or a range MIN-MAX of them');
  }
  if (portMin > portMax) throw fail('the port range is reversed');

  let wildcard = false;
  let host: Verdict<{ host: string; kind: HostKind }>;
  if (hostText.startsWith('[') && hostText.endsWith(']')) {
    host = parseIpv6(hostText.slice(1, -1));
  } else if (hostText.includes(':')) {
    throw fail('an IPv6 address must be in brackets, like [::1]:443');
  } else if (hostText.startsWith('*.')) {
    wildcard = true;
    host = parseHost(hostText.slice(2));
    if (host.ok && host.value.kind !== 'name') throw fail('a wildcard applies to names only');
  } else {
    host = parseHost(hostText);
  }
  if (!host.ok) throw fail(host.reason);
  return { entry, host: host.value.host, kind: host.value.kind, wildcard, portMin, portMax };
}

/**
 * Reads the destination from a relay URL's query: exactly one `host` and one `port` and nothing
 * else. `host` is a DNS name (ASCII; an internationalised name in its `xn--` form), a
 * dotted-decimal IPv4 address, or an IPv6 address with or without brackets; `port` is a decimal
 * integer from 1 to 65535 without sign or leading zeros.
 */
export function parseDestination(query: URLSearchParams): Verdict<Destination> {
  for (const key of query.keys()) {
    if (key !== 'host' && key !== 'port') return refuse(`unexpected query parameter "${key}"`);
  }
  const hosts = query.getAll('host');
  const ports = query.getAll('port');
  if (hosts.length !== 1) return refuse('expected exactly one host parameter');
  if (ports.length !== 1) return refuse('expected exactly one port parameter');
  const port = parsePort(ports[0]);
  if (port === undefined) return refuse('port must be an integer from 1 to 65535');
  let host = hosts[0];
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const parsed = parseHost(host);
  if (!parsed.ok) return parsed;
  return { ok: true, value: { ...parsed.value, port } };
}

/** Whether `rule` allows `destination`: same kind, same host (or a name under a wildcard). */
export function ruleAllows(rule: AllowRule, destination: Destination): boolean {
  if (destination.port < rule.portMin || destination.port > rule.portMax) return false;
  if (rule.kind !== destination.kind) return false;
  if (!rule.wildcard) return rule.host === destination.host;
  return destination.host.endsWith(`.${rule.host}`);
}

/** Whether any rule allows `destination`. An empty allowlist allows nothing. */
export function isAllowed(rules: readonly AllowRule[], destination: Destination): boolean {
  return rules.some((rule) => ruleAllows(rule, destination));
}

/**
 * The whole destination check of one request: parse the query, then the allowlist. The reason
 * of a refusal names what was wrong with the request, never the allowlist's contents.
 */
export function checkDestination(
  rules: readonly AllowRule[],
  query: URLSearchParams,
): Verdict<Destination> {
  const parsed = parseDestination(query);
  if (!parsed.ok) return parsed;
  if (!isAllowed(rules, parsed.value)) return refuse('destination not allowed');
  return parsed;
}

/** Fills in the limits not given with {@link DEFAULT_LIMITS}, and checks them. */
export function resolveLimits(limits: Partial<RelayLimits> = {}): RelayLimits {
  const resolved = { ...DEFAULT_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`relay: limit ${name} must be a positive integer, got ${value}`);
    }
  }
  return resolved;
}

/**
 * Counts open connections, in total and per client address, and admits a new one only under
 * both caps. Per process (Node) or per isolate (Workers).
 */
export class ConnectionCounter {
  #total = 0;
  readonly #perClient = new Map<string, number>();

  constructor(
    private readonly limits: Pick<RelayLimits, 'maxConnections' | 'maxConnectionsPerClient'>,
  ) {}

  /** Connections open now. */
  get total(): number {
    return this.#total;
  }

  /** Takes a slot for `client`, or says which cap is full. Pair each success with release(). */
  admit(client: string): Verdict<string> {
    const mine = this.#perClient.get(client) ?? 0;
    if (this.#total >= this.limits.maxConnections) return refuse('too many connections');
    if (mine >= this.limits.maxConnectionsPerClient) {
      return refuse('too many connections from this client');
    }
    this.#total++;
    this.#perClient.set(client, mine + 1);
    return { ok: true, value: client };
  }

  /** Gives back a slot taken by admit(). */
  release(client: string): void {
    const mine = this.#perClient.get(client) ?? 0;
    if (mine <= 0) return;
    this.#total--;
    if (mine === 1) this.#perClient.delete(client);
    else this.#perClient.set(client, mine - 1);
  }
}

/** Parses a decimal port 1–65535: digits only, no sign, no leading zero. */
function parsePort(text: string): number | undefined {
  if (!/^[1-9]\d{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= MAX_PORT ? port : undefined;
}

/** Parses a host: an IPv4 literal, an IPv6 literal (no brackets), or a DNS name. */
function parseHost(text: string): Verdict<{ host: string; kind: HostKind }> {
  if (text === '') return refuse('host is empty');
  if (text.includes(':')) return parseIpv6(text);
  if (/^[\d.]+$/.test(text)) return parseIpv4(text);
  return parseName(text);
}

/** Strict dotted decimal: four numbers 0–255 without leading zeros (no `127.1`, no octal). */
function parseIpv4(text: string): Verdict<{ host: string; kind: HostKind }> {
  const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
  if (!new RegExp(`^${octet}(?:\\.${octet}){3}$`).test(text)) {
    return refuse('host is not a dotted-decimal IPv4 address');
  }
  return { ok: true, value: { host: text, kind: 'ipv4' } };
}

/**
 * An IPv6 literal (RFC 4291 §2.2 text forms), normalised to the WHATWG URL serialisation
 * (lowercase, compressed) so that equal addresses compare equal. Zone identifiers are refused.
 */
function parseIpv6(text: string): Verdict<{ host: string; kind: HostKind }> {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return refuse('host is not an IPv6 address');
  let hostname: string;
  try {
    hostname = new URL(`http://[${text}]/`).hostname;
  } catch {
    return refuse('host is not an IPv6 address');
  }
  return { ok: true, value: { host: hostname.slice(1, -1), kind: 'ipv6' } };
}

/**
 * A DNS name in ASCII (RFC 1123 §2.1 host names): labels of letters, digits and hyphens, not
 * starting or ending with a hyphen; no trailing dot; the last label not a number (decimal or
 * 0x-hex), so that a name is never read as an address. Lowercased.
 */
function parseName(text: string): Verdict<{ host: string; kind: HostKind }> {
  if (text.length > MAX_NAME_LENGTH) return refuse('host name is too long');
  const labels = text.split('.');
  for (const label of labels) {
    if (label.length === 0) return refuse('host name has an empty label');
    if (label.length > MAX_LABEL_LENGTH) return refuse('host name has a label over 63 characters');
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label)) {
      return refuse('host is not a valid DNS name (ASCII letters, digits, hyphens)');
    }
  }
  // WHATWG URL and inet_aton() read a last label of digits or 0x-hex as an IPv4 number.
  if (/^(?:\d+|0x[0-9a-f]*)$/i.test(labels[labels.length - 1])) {
    return refuse('host name ends in a numeric label');
  }
  return { ok: true, value: { host: text.toLowerCase(), kind: 'name' } };
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the close code. */
const MAX_CLOSE_REASON_BYTES = 123;

/** Cuts a close reason to what a close frame holds (UTF-8, whole characters). */
export function closeReason(reason: string): string {
  const encoder = new TextEncoder();
  let text = reason;
  while (encoder.encode(text).length > MAX_CLOSE_REASON_BYTES) text = text.slice(0, -1);
  return text;
}

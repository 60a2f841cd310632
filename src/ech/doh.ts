import { TlsError } from '../error.ts';
import { toBase64 } from '../util/bytes.ts';
import {
  DnsRcode,
  DnsType,
  decodeDnsResponse,
  decodeSvcb,
  encodeDnsQuery,
  MAX_DNS_MESSAGE,
  SVC_PARAM_ECH,
} from './dns.ts';

/**
 * Looks up a server's ECHConfigList the way a browser does: its HTTPS resource record
 * (RFC 9460), fetched over DNS-over-HTTPS (RFC 8484). Nothing here checks the DNS answer's
 * authenticity beyond the HTTPS connection to the resolver (draft-ietf-tls-esni §10.2).
 */

/** Options for {@link fetchEchConfigList}. */
export interface FetchEchConfigOptions {
  /** The DoH URI template without variables, e.g. `https://resolver.example/dns-query`. */
  resolver: string;
  /** The fetch to use; the global one when absent. */
  fetch?: typeof fetch;
  /** A bound on the whole lookup, aliases included; 5000 ms when absent. */
  timeoutMs?: number;
}

/** RFC 9460 §2.4.2 leaves the AliasMode chain length to the client; this one follows 4. */
const MAX_ALIAS_HOPS = 4;
/** CNAMEs followed inside one answer section. */
const MAX_CNAME_HOPS = 8;

/**
 * Fetches `name`'s HTTPS resource record (RFC 9460) over DNS-over-HTTPS (RFC 8484 wire
 * format, GET with ?dns=base64url) from `resolver` with the given fetch, and returns the
 * ECHConfigList bytes of its `ech` SvcParam (key 5), or undefined.
 *
 * CNAMEs in the answer are followed; an AliasMode record leads to a lookup of its target
 * (bounded). Among ServiceMode records the one with the lowest SvcPriority wins (§2.4.1), and
 * its `ech` value, if any, is returned as is (decode it with `decodeEchConfigList`). NXDOMAIN
 * and an answer with no HTTPS record give undefined.
 *
 * @throws TlsError TRANSPORT when the resolver cannot be reached, answers with an HTTP error, a
 *   wrong content type, a DNS error code other than NXDOMAIN, or the time runs out
 * @throws TlsError DECODE_ERROR when the DNS message or an HTTPS record is malformed
 */
export async function fetchEchConfigList(
  name: string,
  options: FetchEchConfigOptions,
): Promise<Uint8Array | undefined> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let qname = normalize(name);
    for (let hop = 0; hop <= MAX_ALIAS_HOPS; hop++) {
      const records = await queryHttps(doFetch, options.resolver, qname, controller.signal);
      if (records.length === 0) return undefined;
      const service = records.filter((s) => s.priority !== 0);
      if (service.length > 0) {
        // §2.4.1: "[ServiceMode] records with lower SvcPriority are preferred"; §2.4.3: when
        // both modes are present, AliasMode records are ignored.
        service.sort((a, b) => a.priority - b.priority);
        return service[0].params.get(SVC_PARAM_ECH);
      }
      // AliasMode (§2.4.2): look up the target instead; "." means the service is unavailable.
      const alias = records[0].target;
      if (alias === '') return undefined;
      qname = alias;
    }
    throw new TlsError('TRANSPORT', `tls: HTTPS AliasMode chain for ${name} is too long`, {
      layer: 'transport',
    });
  } catch (e) {
    if (controller.signal.aborted && !(e instanceof TlsError && e.code === 'DECODE_ERROR')) {
      throw new TlsError('TRANSPORT', `tls: DoH lookup of ${name} timed out`, {
        layer: 'transport',
        cause: e,
      });
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** One DoH exchange; the HTTPS records that answer for `qname` (CNAMEs followed). */
async function queryHttps(
  doFetch: typeof fetch,
  resolver: string,
  qname: string,
  signal: AbortSignal,
): Promise<ReturnType<typeof decodeSvcb>[]> {
  const query = encodeDnsQuery(qname, DnsType.HTTPS);
  const url = new URL(resolver);
  // RFC 8484 §4.1.1: the "dns" variable is the message in base64url without padding.
  url.searchParams.set(
    'dns',
    toBase64(query).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
  );
  let response: Response;
  try {
    response = await doFetch(url.toString(), {
      method: 'GET',
      headers: { accept: 'application/dns-message' },
      signal,
    });
  } catch (e) {
    throw transport(`DoH request to ${url.origin} failed`, e);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw transport(`DoH resolver answered HTTP ${response.status}`);
  }
  const type = response.headers.get('content-type') ?? '';
  // RFC 8484 §6: the media type is application/dns-message.
  if (type.split(';')[0].trim().toLowerCase() !== 'application/dns-message') {
    await response.body?.cancel().catch(() => undefined);
    throw transport(`DoH resolver answered with content type "${type}"`);
  }
  const msg = decodeDnsResponse(await readBounded(response, MAX_DNS_MESSAGE));
  if (msg.rcode === DnsRcode.NXDOMAIN) return [];
  if (msg.rcode !== DnsRcode.NOERROR) throw transport(`DNS lookup of ${qname}: RCODE ${msg.rcode}`);
  // The answer must be for the question asked.
  const q = msg.question;
  if (q.length !== 1 || q[0].name !== qname || q[0].type !== DnsType.HTTPS) {
    throw new TlsError('DECODE_ERROR', 'tls: DoH answer is for another question', {
      layer: 'transport',
    });
  }

  // Follow the CNAME chain inside the answer section (RFC 1035 §3.6.2), bounded.
  let owner = qname;
  for (let i = 0; i < MAX_CNAME_HOPS; i++) {
    const cname = msg.answers.find((a) => a.type === DnsType.CNAME && a.name === owner);
    if (!cname?.target) break;
    owner = cname.target;
  }
  return msg.answers
    .filter((a) => a.type === DnsType.HTTPS && a.name === owner)
    .map((a) => decodeSvcb(a.rdata));
}

/** The body, refusing more than `max` bytes without buffering past the limit. */
async function readBounded(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw transport(`DoH response of ${declared} bytes is too large`);
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw transport(`DoH response larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function normalize(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

function transport(message: string, cause?: unknown): TlsError {
  return new TlsError('TRANSPORT', `tls: ${message}`, { layer: 'transport', cause });
}

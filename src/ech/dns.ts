import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { decodeError, TlsError } from '../error.ts';

/**
 * The small part of the DNS wire format (RFC 1035 §4.1) that fetching an HTTPS record over
 * DNS-over-HTTPS needs: one-question queries, responses with name compression, and SVCB/HTTPS
 * RDATA (RFC 9460 §2.2). Decoding is strict and bounded: every length is checked, compression
 * pointers may only point backwards and are followed a bounded number of times, and a message
 * is at most 65535 bytes.
 */

/** RR types used here (RFC 1035 §3.2.2, RFC 9460 §14.1). */
export const DnsType = { CNAME: 5, HTTPS: 65 } as const;
/** RFC 1035 §3.2.4: the Internet class. */
export const DNS_CLASS_IN = 1;
/** RFC 1035 §4.1.1 RCODE values that matter here. */
export const DnsRcode = { NOERROR: 0, NXDOMAIN: 3 } as const;
/** RFC 9460 §14.3.2: the SvcParamKey of the ECHConfigList. */
export const SVC_PARAM_ECH = 5;

/** The largest DNS message accepted (a TCP/DoH message length is a u16, RFC 8484 §6). */
export const MAX_DNS_MESSAGE = 0xffff;
/** How many compression pointers one name may follow. */
const MAX_POINTERS = 32;
/** RFC 1035 §2.3.4: names are at most 255 octets, labels at most 63. */
const MAX_NAME = 255;
const MAX_LABEL = 63;

/** One resource record of a response, RDATA kept raw except for names inside CNAME. */
export interface DnsRecord {
  /** Owner name, lower case, without the trailing dot ('' for the root). */
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Uint8Array;
  /** For CNAME: the canonical name (decompressed against the whole message). */
  target?: string;
}

/** A decoded DNS response (RFC 1035 §4.1). */
export interface DnsResponse {
  id: number;
  /** The 16 flag bits of the header. */
  flags: number;
  rcode: number;
  question: { name: string; type: number; class: number }[];
  answers: DnsRecord[];
}

/*
 * RFC 9460 §2.2:
 *
 *   SvcPriority (u16) | TargetName (uncompressed domain name) | SvcParams
 *   SvcParam: SvcParamKey (u16) | SvcParamValue length (u16) | SvcParamValue
 */

/** SVCB/HTTPS RDATA (RFC 9460 §2.2). */
export interface SvcbRecord {
  /** 0 is AliasMode, anything else ServiceMode (§2.4.1). */
  priority: number;
  /** TargetName, lower case, no trailing dot; '' is the root ("."). */
  target: string;
  /** SvcParams by key, in wire (strictly increasing) order. */
  params: Map<number, Uint8Array>;
}

/**
 * A query for `name` and `type`, ID 0 and RD set (RFC 8484 §4.1: "DNS API clients SHOULD use a
 * DNS ID of 0 in every DNS request").
 *
 * @throws TlsError CONFIG when `name` is not a valid ASCII domain name
 */
export function encodeDnsQuery(name: string, type: number): Uint8Array {
  const w = new Writer(64);
  w.u16(0); // ID
  w.u16(0x0100); // QR=0, OPCODE=0 (QUERY), RD=1
  w.u16(1).u16(0).u16(0).u16(0); // QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT
  writeName(w, name);
  w.u16(type).u16(DNS_CLASS_IN);
  return w.finish();
}

/**
 * Decodes a DNS response, with the answer section's records. Authority and additional
 * sections are not read (trailing data after the answers is allowed for them).
 *
 * @throws TlsError DECODE_ERROR when the message is malformed or not a response
 */
export function decodeDnsResponse(msg: Uint8Array): DnsResponse {
  if (msg.length > MAX_DNS_MESSAGE) throw decodeError(`tls: DNS message of ${msg.length} bytes`);
  const r = new Reader(msg);
  const id = r.u16('DNS ID');
  const flags = r.u16('DNS flags');
  const qdcount = r.u16('DNS QDCOUNT');
  const ancount = r.u16('DNS ANCOUNT');
  r.u16('DNS NSCOUNT');
  r.u16('DNS ARCOUNT');
  // RFC 1035 §4.1.1: QR is the top bit; a query is not an answer.
  if ((flags & 0x8000) === 0) throw decodeError('tls: DNS message is a query, not a response');
  if ((flags & 0x0200) !== 0) throw decodeError('tls: DNS response is truncated (TC)');
  const question: DnsResponse['question'] = [];
  for (let i = 0; i < qdcount; i++) {
    const name = readName(msg, r);
    question.push({ name, type: r.u16('DNS QTYPE'), class: r.u16('DNS QCLASS') });
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < ancount; i++) {
    const name = readName(msg, r);
    const type = r.u16('DNS TYPE');
    const klass = r.u16('DNS CLASS');
    const ttl = r.u32('DNS TTL');
    const start = r.position;
    const rdata = r.vec16('DNS RDATA');
    const rec: DnsRecord = { name, type, class: klass, ttl, rdata };
    if (type === DnsType.CNAME) {
      // RFC 1035 §3.3.1: CNAME RDATA is one (possibly compressed) domain name.
      const inner = new Reader(msg);
      inner.bytes(start + 2, 'DNS RDATA offset');
      rec.target = readName(msg, inner);
      if (inner.position !== start + 2 + rdata.length) {
        throw decodeError('tls: DNS CNAME RDATA length does not match its name');
      }
    }
    answers.push(rec);
  }
  return { id, flags, rcode: flags & 0x000f, question, answers };
}

/**
 * Decodes SVCB/HTTPS RDATA (RFC 9460 §2.2).
 *
 * @throws TlsError DECODE_ERROR when it is malformed, including SvcParamKeys out of order or
 *   repeated (§2.2: "Clients MUST consider an RR malformed if the SvcParamKeys are not in
 *   strictly increasing numeric order.")
 */
export function decodeSvcb(rdata: Uint8Array): SvcbRecord {
  const r = new Reader(rdata);
  const priority = r.u16('SvcPriority');
  // §2.2: TargetName is an uncompressed domain name; a pointer here is malformed.
  const target = readName(rdata, r, false);
  const params = new Map<number, Uint8Array>();
  let last = -1;
  while (!r.done) {
    const key = r.u16('SvcParamKey');
    if (key <= last) throw decodeError(`tls: SvcParamKey ${key} out of order`);
    last = key;
    params.set(key, r.vec16(`SvcParamValue ${key}`).slice());
  }
  return { priority, target, params };
}

/** Writes `name` as uncompressed labels. */
function writeName(w: Writer, name: string): void {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = trimmed === '' ? [] : trimmed.split('.');
  let total = 1;
  for (const label of labels) {
    if (label.length < 1 || label.length > MAX_LABEL || !/^[\x21-\x7e]+$/.test(label)) {
      throw new TlsError('CONFIG', `tls: bad DNS name ${name}`, { layer: 'config' });
    }
    total += 1 + label.length;
    w.u8(label.length);
    for (let i = 0; i < label.length; i++) w.u8(label.charCodeAt(i));
  }
  if (total > MAX_NAME) throw new TlsError('CONFIG', `tls: DNS name too long: ${name}`);
  w.u8(0);
}

/**
 * Reads a domain name at `r` (RFC 1035 §4.1.4), following compression pointers into `msg` when
 * `compressed` allows them. Names come back lower case without the trailing dot.
 */
function readName(msg: Uint8Array, r: Reader, compressed = true): string {
  const labels: string[] = [];
  let total = 1;
  let cursor = r;
  let hops = 0;
  let lowest = r.position;
  for (;;) {
    const len = cursor.u8('DNS label length');
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      if (!compressed) throw decodeError('tls: compressed name where none is allowed');
      const offset = ((len & 0x3f) << 8) | cursor.u8('DNS pointer');
      // Only backwards pointers, so a name cannot loop; the hop bound is a second guard.
      if (offset >= lowest || ++hops > MAX_POINTERS) throw decodeError('tls: bad DNS pointer');
      lowest = offset;
      cursor = new Reader(msg);
      cursor.bytes(offset, 'DNS pointer target');
      continue;
    }
    if ((len & 0xc0) !== 0) throw decodeError(`tls: DNS label type 0x${len.toString(16)}`);
    total += 1 + len;
    if (total > MAX_NAME) throw decodeError('tls: DNS name longer than 255 octets');
    let label = '';
    for (const b of cursor.bytes(len, 'DNS label')) label += String.fromCharCode(b);
    labels.push(label.toLowerCase());
  }
  return labels.join('.');
}

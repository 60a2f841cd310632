/**
 * Builds X.509 certificates in memory for runtime-neutral path tests: ECDSA P-256 keys from
 * WebCrypto, DER from the shared encoder (src/codec/der.ts). Only what the tests need; every
 * field can be overridden to make malformed or unusual certificates.
 */

import { encodeOid, encodeSmallInt, encodeTlv, Tag } from '../../../src/codec/der.ts';
import { bufferSource } from '../../../src/util/bytes.ts';

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();

/** A key pair plus its SubjectPublicKeyInfo. */
export interface TestKey {
  pair: CryptoKeyPair;
  spki: Uint8Array;
  /** A key identifier derived from the SPKI. */
  id: Uint8Array;
}

/** An issued certificate with what is needed to issue below it. */
export interface TestCert {
  der: Uint8Array;
  key: TestKey;
  /** The subject Name, DER. */
  name: Uint8Array;
}

export async function newKey(): Promise<TestKey> {
  const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const id = new Uint8Array(await subtle.digest('SHA-256', spki)).slice(0, 20);
  return { pair, spki, id };
}

/** A Name of CN (and optionally O, first) as UTF8Strings. */
export function name(cn: string, o?: string): Uint8Array {
  const rdn = (oid: string, value: string) =>
    encodeTlv(
      Tag.SET,
      encodeTlv(Tag.SEQUENCE, encodeOid(oid), encodeTlv(0x0c, utf8.encode(value))),
    );
  const rdns = [rdn('2.5.4.3', cn)];
  if (o !== undefined) rdns.unshift(rdn('2.5.4.10', o));
  return encodeTlv(Tag.SEQUENCE, ...rdns);
}

function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  if (d.getUTCFullYear() < 2050) return encodeTlv(0x17, utf8.encode(`${digits.slice(2)}Z`));
  return encodeTlv(0x18, utf8.encode(`${digits}Z`));
}

/** One extension: OID, criticality and the DER of its value. */
export interface TestExtension {
  oid: string;
  critical?: boolean;
  value: Uint8Array;
}

function extension(e: TestExtension): Uint8Array {
  const parts = [encodeOid(e.oid)];
  if (e.critical) parts.push(new Uint8Array([Tag.BOOLEAN, 1, 0xff]));
  parts.push(encodeTlv(Tag.OCTET_STRING, e.value));
  return encodeTlv(Tag.SEQUENCE, ...parts);
}

/** GeneralNames of dNSName [2] and iPAddress [7] entries. */
export function generalNames(dns: readonly string[], ips: readonly Uint8Array[]): Uint8Array[] {
  return [
    ...dns.map((d) => encodeTlv(0x82, utf8.encode(d))),
    ...ips.map((ip) => encodeTlv(0x87, ip)),
  ];
}

/** NameConstraints with dNSName and iPAddress (address || mask) subtrees. */
export function nameConstraints(nc: {
  permitted?: { dns?: string[]; ip?: Uint8Array[] };
  excluded?: { dns?: string[]; ip?: Uint8Array[] };
}): TestExtension {
  const subtrees = (s: { dns?: string[]; ip?: Uint8Array[] }) =>
    generalNames(s.dns ?? [], s.ip ?? []).map((gn) => encodeTlv(Tag.SEQUENCE, gn));
  const parts: Uint8Array[] = [];
  if (nc.permitted) parts.push(encodeTlv(0xa0, ...subtrees(nc.permitted)));
  if (nc.excluded) parts.push(encodeTlv(0xa1, ...subtrees(nc.excluded)));
  return { oid: '2.5.29.30', critical: true, value: encodeTlv(Tag.SEQUENCE, ...parts) };
}

/** What to put in a certificate. Omitted fields get sensible defaults. */
export interface CertSpec {
  subject: Uint8Array;
  key: TestKey;
  /** The issuer; omitted for a self-signed certificate. */
  issuer?: TestCert;
  /** 1 or 3 (default 3). */
  version?: number;
  serial?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints: `true` CA, `{ pathLen }` CA with a path length, `false` CA:FALSE. */
  ca?: boolean | { pathLen: number };
  /** KeyUsage bit numbers to set (RFC 5280 §4.2.1.3); omitted: no extension. */
  keyUsage?: number[];
  eku?: string[];
  dns?: string[];
  ips?: Uint8Array[];
  extensions?: TestExtension[];
  /** Omit the key identifier extensions. */
  noKeyIds?: boolean;
  /** Flip a bit of the signature after signing. */
  corruptSignature?: boolean;
}

const ECDSA_SHA256 = encodeTlv(Tag.SEQUENCE, encodeOid('1.2.840.10045.4.3.2'));
let serialCounter = 1;

function keyUsage(bits: number[]): Uint8Array {
  let value = 0;
  for (const b of bits) value |= 0x8000 >> b;
  const bytes = value & 0xff ? [value >> 8, value & 0xff] : [value >> 8];
  return encodeTlv(Tag.BIT_STRING, new Uint8Array([0, ...bytes]));
}

/** Builds the extension list a spec asks for. */
function extensions(spec: CertSpec): Uint8Array[] {
  const out: TestExtension[] = [];
  if (spec.ca !== undefined) {
    const fields: Uint8Array[] = [];
    if (spec.ca !== false) fields.push(new Uint8Array([Tag.BOOLEAN, 1, 0xff]));
    if (typeof spec.ca === 'object') fields.push(encodeSmallInt(spec.ca.pathLen));
    out.push({ oid: '2.5.29.19', critical: true, value: encodeTlv(Tag.SEQUENCE, ...fields) });
  }
  if (spec.keyUsage) out.push({ oid: '2.5.29.15', critical: true, value: keyUsage(spec.keyUsage) });
  if (spec.eku) {
    const ids = spec.eku.map((oid) => encodeOid(oid));
    out.push({ oid: '2.5.29.37', value: encodeTlv(Tag.SEQUENCE, ...ids) });
  }
  if (spec.dns || spec.ips) {
    const names = generalNames(spec.dns ?? [], spec.ips ?? []);
    out.push({ oid: '2.5.29.17', value: encodeTlv(Tag.SEQUENCE, ...names) });
  }
  if (!spec.noKeyIds) {
    out.push({ oid: '2.5.29.14', value: encodeTlv(Tag.OCTET_STRING, spec.key.id) });
    const issuerId = (spec.issuer?.key ?? spec.key).id;
    out.push({ oid: '2.5.29.35', value: encodeTlv(Tag.SEQUENCE, encodeTlv(0x80, issuerId)) });
  }
  out.push(...(spec.extensions ?? []));
  return out.map(extension);
}

/** DER-encodes an ECDSA (r || s) signature as Ecdsa-Sig-Value (RFC 3279 §2.2.3). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return encodeTlv(Tag.INTEGER, v[0] & 0x80 ? new Uint8Array([0, ...v]) : v);
  };
  const half = raw.length / 2;
  return encodeTlv(Tag.SEQUENCE, int(raw.subarray(0, half)), int(raw.subarray(half)));
}

/** Issues (signs) a certificate from a spec. */
export async function issue(spec: CertSpec): Promise<TestCert> {
  const version = spec.version ?? 3;
  const exts = version === 3 ? extensions(spec) : [];
  const issuerName = spec.issuer?.name ?? spec.subject;
  const signer = (spec.issuer?.key ?? spec.key).pair.privateKey;
  const tbsParts = [
    ...(version === 1 ? [] : [encodeTlv(0xa0, encodeSmallInt(version - 1))]),
    encodeSmallInt(spec.serial ?? serialCounter++),
    ECDSA_SHA256,
    issuerName,
    encodeTlv(
      Tag.SEQUENCE,
      time(spec.notBefore ?? new Date(Date.now() - 86_400_000)),
      time(spec.notAfter ?? new Date(Date.now() + 365 * 86_400_000)),
    ),
    spec.subject,
    spec.key.spki,
    ...(exts.length ? [encodeTlv(0xa3, encodeTlv(Tag.SEQUENCE, ...exts))] : []),
  ];
  const tbs = encodeTlv(Tag.SEQUENCE, ...tbsParts);
  const raw = new Uint8Array(
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer, bufferSource(tbs)),
  );
  const sig = ecdsaDer(raw);
  if (spec.corruptSignature) sig[sig.length - 1] ^= 1;
  const der = encodeTlv(
    Tag.SEQUENCE,
    tbs,
    ECDSA_SHA256,
    encodeTlv(Tag.BIT_STRING, new Uint8Array([0]), sig),
  );
  return { der, key: spec.key, name: spec.subject };
}

/** KeyUsage bits for a CA and for a TLS server. */
export const CA_USAGE = [5, 6];
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** A self-signed CA. */
export async function rootCa(cn: string, extra: Partial<CertSpec> = {}): Promise<TestCert> {
  return issue({ subject: name(cn), key: await newKey(), ca: true, keyUsage: CA_USAGE, ...extra });
}

/** A CA certificate issued by `issuer`. */
export async function intermediateCa(
  cn: string,
  issuer: TestCert,
  extra: Partial<CertSpec> = {},
): Promise<TestCert> {
  return issue({
    subject: name(cn),
    key: await newKey(),
    issuer,
    ca: true,
    keyUsage: CA_USAGE,
    ...extra,
  });
}

/** A TLS server certificate issued by `issuer`. */
export async function serverCert(
  issuer: TestCert,
  extra: Partial<CertSpec> = {},
): Promise<TestCert> {
  return issue({
    subject: name('server'),
    key: await newKey(),
    issuer,
    ca: false,
    keyUsage: [0],
    eku: [SERVER_AUTH],
    dns: ['localhost'],
    ips: [new Uint8Array([127, 0, 0, 1]), new Uint8Array([...new Array(15).fill(0), 1])],
    ...extra,
  });
}

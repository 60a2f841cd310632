/**
 * Builds CRLs (RFC 5280 §5.1) in memory for runtime-neutral revocation tests, signed with
 * ECDSA P-256 / SHA-256 by a test CA from x509-builder.ts. Every field can be overridden to
 * make unusual or broken CRLs.
 */
import { encodeOid, encodeSmallInt, encodeTlv, Tag } from '../../../src/codec/der.ts';
import { bufferSource } from '../../../src/util/bytes.ts';
import type { TestCert, TestExtension, TestKey } from './x509-builder.ts';

const subtle = globalThis.crypto.subtle;
const ascii = new TextEncoder();
const ECDSA_SHA256 = encodeTlv(Tag.SEQUENCE, encodeOid('1.2.840.10045.4.3.2'));
const DAY = 86_400_000;

/** One revoked certificate. */
export interface RevokedSpec {
  serial: number;
  /** CRLReason (RFC 5280 §5.3.1); omitted: no reasonCode extension. */
  reason?: number;
  date?: Date;
  /** Extra entry extensions. */
  extensions?: TestExtension[];
}

/** What a CRL says. */
export interface CrlSpec {
  revoked?: RevokedSpec[];
  thisUpdate?: Date;
  /** null: no nextUpdate. Default: a week from now. */
  nextUpdate?: Date | null;
  /** CRL extensions beyond authorityKeyIdentifier. */
  extensions?: TestExtension[];
  /** Sign with this key instead of the issuer's. */
  signer?: TestKey;
  /** Flip a bit of the signature. */
  corruptSignature?: boolean;
}

function time(d: Date): Uint8Array {
  const digits = d.toISOString().slice(0, 19).replace(/[-T:]/g, '');
  if (d.getUTCFullYear() < 2050) return encodeTlv(0x17, ascii.encode(`${digits.slice(2)}Z`));
  return encodeTlv(0x18, ascii.encode(`${digits}Z`));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function encodeExtension(e: TestExtension): Uint8Array {
  const parts = [encodeOid(e.oid)];
  if (e.critical) parts.push(new Uint8Array([Tag.BOOLEAN, 1, 0xff]));
  parts.push(encodeTlv(Tag.OCTET_STRING, e.value));
  return encodeTlv(Tag.SEQUENCE, ...parts);
}

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

/** The reasonCode entry extension (an ENUMERATED). */
export function reasonCode(reason: number): TestExtension {
  return { oid: '2.5.29.21', value: new Uint8Array([0x0a, 1, reason]) };
}

/**
 * issuingDistributionPoint (RFC 5280 §5.2.5), critical: onlyContainsUserCerts [1] or
 * onlyContainsCACerts [2].
 */
export function issuingDistributionPoint(only: 'user' | 'ca'): TestExtension {
  const flag = only === 'user' ? 0x81 : 0x82;
  return {
    oid: '2.5.29.28',
    critical: true,
    value: encodeTlv(Tag.SEQUENCE, new Uint8Array([flag, 1, 0xff])),
  };
}

/** Issues a v2 CRL from `issuer`. */
export async function issueCrl(issuer: TestCert, spec: CrlSpec = {}): Promise<Uint8Array> {
  const now = Date.now();
  const revoked = (spec.revoked ?? []).map((r) => {
    const exts = [
      ...(r.reason === undefined ? [] : [reasonCode(r.reason)]),
      ...(r.extensions ?? []),
    ];
    return encodeTlv(
      Tag.SEQUENCE,
      encodeSmallInt(r.serial),
      time(r.date ?? new Date(now - DAY)),
      ...(exts.length ? [encodeTlv(Tag.SEQUENCE, ...exts.map(encodeExtension))] : []),
    );
  });
  const aki: TestExtension = {
    oid: '2.5.29.35',
    value: encodeTlv(Tag.SEQUENCE, encodeTlv(0x80, (spec.signer ?? issuer.key).id)),
  };
  const exts = [aki, ...(spec.extensions ?? [])].map(encodeExtension);
  const next = spec.nextUpdate === undefined ? new Date(now + 7 * DAY) : spec.nextUpdate;
  const tbs = encodeTlv(
    Tag.SEQUENCE,
    encodeSmallInt(1),
    ECDSA_SHA256,
    issuer.name,
    time(spec.thisUpdate ?? new Date(now - DAY)),
    ...(next ? [time(next)] : []),
    ...(revoked.length ? [encodeTlv(Tag.SEQUENCE, ...revoked)] : []),
    encodeTlv(0xa0, encodeTlv(Tag.SEQUENCE, ...exts)),
  );
  const key = (spec.signer ?? issuer.key).pair.privateKey;
  const raw = new Uint8Array(
    await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, bufferSource(tbs)),
  );
  const sig = ecdsaDer(raw);
  if (spec.corruptSignature) sig[sig.length - 1] ^= 1;
  return encodeTlv(
    Tag.SEQUENCE,
    tbs,
    ECDSA_SHA256,
    encodeTlv(Tag.BIT_STRING, new Uint8Array([0]), sig),
  );
}

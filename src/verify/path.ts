/**
 * Certification path building and validation (RFC 5280 §6, in the manner of webpki): from the
 * end-entity certificate, through whichever presented certificates can issue it, to a trust
 * anchor. The presented chain may be unordered, carry extra certificates, or offer several
 * issuers (cross-signing); candidates are tried depth-first and the search is bounded.
 *
 * A trust anchor is a certificate identified by its subject and public key (RFC 5280 §6.1.1
 * (d)); its validity period and extensions other than name constraints are not enforced, as
 * RFC 5280 and webpki do. Policy processing (§6.1.3 (d)-(f)) is not implemented; certificates
 * whose policy extensions are critical are refused as unsupported.
 */
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { equalBytes } from '../util/bytes.ts';
import { certSignatureScheme } from './algorithms.ts';
import type { TrustAnchor } from './anchors.ts';
import { checkNameConstraints } from './constraints.ts';
import { isSelfIssued, KeyUsageBit, type ParsedCertificate } from './x509.ts';

/** Inputs to path building. */
export interface PathOptions {
  /** Trust anchors. */
  anchors: readonly TrustAnchor[];
  /** Every presented certificate other than the end-entity one, in any order. */
  intermediates: readonly ParsedCertificate[];
  provider: CryptoProvider;
  now: Date;
  /** The extended key usage the end-entity certificate must allow (serverAuth, clientAuth). */
  eku: string;
  /** Signature checks allowed in one search (default 100). */
  maxSignatureChecks?: number;
  /** Longest path, end-entity and trust anchor included (default 8). */
  maxPathLength?: number;
}

/** Signature checks one search may make (webpki's bound), so hostile chains stay cheap. */
export const DEFAULT_MAX_SIGNATURE_CHECKS = 100;
/** Certificates in one path, end-entity and trust anchor included. */
export const DEFAULT_MAX_PATH_LENGTH = 8;

function fail(code: TlsError['code'], message: string, cause?: unknown): TlsError {
  return new TlsError(code, message, { layer: 'verify', cause });
}

/** Errors that say "no issuer here" rank below errors that say what is wrong with a path. */
function rank(e: TlsError): number {
  if (e.code === 'CERT_UNKNOWN_ISSUER') return 0;
  if (e.code === 'CERT_UNKNOWN') return 1;
  return 2;
}

/** RFC 5280 §6.1.3 (a)(2): the current time must be within the validity period, inclusive. */
export function checkValidity(cert: ParsedCertificate, now: Date): void {
  const t = now.getTime();
  if (t < cert.notBefore.getTime()) {
    throw fail(
      'CERT_NOT_YET_VALID',
      `tls: certificate "${cert.subject.text}" is not valid before ${cert.notBefore.toISOString()}`,
    );
  }
  if (t > cert.notAfter.getTime()) {
    throw fail(
      'CERT_EXPIRED',
      `tls: certificate "${cert.subject.text}" expired at ${cert.notAfter.toISOString()}`,
    );
  }
}

/** RFC 5280 §4.2: a critical extension that is not understood makes the certificate unusable. */
function checkCriticalExtensions(cert: ParsedCertificate): void {
  if (cert.unknownCritical.length > 0) {
    throw fail(
      'UNSUPPORTED_CERTIFICATE',
      `tls: certificate "${cert.subject.text}" has unsupported critical extension(s) ` +
        cert.unknownCritical.join(', '),
    );
  }
}

/**
 * RFC 5280 §4.2.1.12: when the extension is present, the purpose must be listed. As in webpki,
 * anyExtendedKeyUsage does not stand in for it, and the rule applies to CA certificates too.
 */
function checkEku(cert: ParsedCertificate, eku: string): void {
  if (cert.extKeyUsage !== undefined && !cert.extKeyUsage.includes(eku)) {
    throw fail(
      'CERT_BAD_EKU',
      `tls: certificate "${cert.subject.text}" does not allow extended key usage ${eku}`,
    );
  }
}

/** The checks on the end-entity certificate that do not depend on the path. */
export function checkEndEntity(cert: ParsedCertificate, options: PathOptions): void {
  checkValidity(cert, options.now);
  checkCriticalExtensions(cert);
  checkEku(cert, options.eku);
}

/**
 * The checks on `ca` as the issuer of `below[below.length - 1]`, where `below` is the path
 * from the end-entity certificate up to that point.
 */
function checkIssuer(ca: ParsedCertificate, below: readonly ParsedCertificate[], eku: string) {
  const name = ca.subject.text;
  checkCriticalExtensions(ca);
  // RFC 5280 §6.1.4 (k): an issuer must assert cA in basicConstraints.
  if (ca.basicConstraints?.ca !== true) {
    throw fail('CERT_NOT_CA', `tls: certificate "${name}" issues certificates but is not a CA`);
  }
  // RFC 5280 §4.2.1.9, §6.1.4 (l)-(m): pathLenConstraint bounds the non-self-issued
  // intermediate certificates that may follow this one.
  const pathLen = ca.basicConstraints.pathLen;
  if (pathLen !== undefined) {
    const following = below.slice(1).filter((c) => !isSelfIssued(c)).length;
    if (following > pathLen) {
      throw fail(
        'CERT_PATH_LEN',
        `tls: certificate "${name}" allows ${pathLen} intermediate(s) below it, ` +
          `the path has ${following}`,
      );
    }
  }
  // RFC 5280 §6.1.4 (n): if keyUsage is present, keyCertSign must be set.
  if (ca.keyUsage !== undefined && (ca.keyUsage & (1 << KeyUsageBit.keyCertSign)) === 0) {
    throw fail('CERT_BAD_KEY_USAGE', `tls: certificate "${name}" may not sign certificates`);
  }
  checkEku(ca, eku);
  checkConstraintsBelow(ca, below);
}

/** RFC 5280 §6.1.3 (b)-(c): self-issued certificates other than the last are exempt. */
function checkConstraintsBelow(ca: ParsedCertificate, below: readonly ParsedCertificate[]) {
  const nc = ca.nameConstraints;
  if (nc === undefined) return;
  below.forEach((cert, i) => {
    if (i > 0 && isSelfIssued(cert)) return;
    checkNameConstraints(ca, nc, cert);
  });
}

function isAnchor(anchor: TrustAnchor, cert: ParsedCertificate): boolean {
  return equalBytes(anchor.subject, cert.subject.der) && equalBytes(anchor.spki, cert.spki);
}

function sameIdentity(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return equalBytes(a.subject.der, b.subject.der) && equalBytes(a.spki, b.spki);
}

/** Presented certificates whose subject is `cert`'s issuer, matching key identifiers first. */
function issuersOf(cert: ParsedCertificate, pool: readonly ParsedCertificate[]) {
  const named = pool.filter((c) => equalBytes(c.subject.der, cert.issuer.der));
  const aki = cert.authorityKeyId;
  if (aki === undefined) return named;
  const keyMatches = (c: ParsedCertificate) =>
    c.subjectKeyId !== undefined && equalBytes(c.subjectKeyId, aki);
  return [...named.filter(keyMatches), ...named.filter((c) => !keyMatches(c))];
}

/**
 * Finds a valid path from `leaf` to a trust anchor and returns it, leaf first, anchor last.
 * Throws a TlsError: the most specific failure seen when every path fails (CERT_UNKNOWN_ISSUER
 * when no issuer could be found at all), or CERT_UNKNOWN when the search bounds run out.
 */
export async function buildPath(
  leaf: ParsedCertificate,
  options: PathOptions,
): Promise<ParsedCertificate[]> {
  const maxChecks = options.maxSignatureChecks ?? DEFAULT_MAX_SIGNATURE_CHECKS;
  const maxLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
  let checks = 0;
  let best: TlsError | undefined;
  const record = (e: unknown) => {
    const err =
      e instanceof TlsError ? e : fail('CERT_UNKNOWN', 'tls: certificate check failed', e);
    if (best === undefined || rank(err) > rank(best)) best = err;
  };

  checkEndEntity(leaf, options);
  // A presented certificate that is itself a trust anchor (a pinned self-signed certificate).
  if (options.anchors.some((a) => isAnchor(a, leaf))) return [leaf];

  // A presented copy of a trust anchor is treated as the anchor, never as an intermediate.
  const intermediates = options.intermediates.filter(
    (c) => !options.anchors.some((a) => isAnchor(a, c)),
  );

  const verifySignature = async (child: ParsedCertificate, issuer: ParsedCertificate) => {
    if (checks >= maxChecks) {
      throw new BudgetExceeded(
        fail('CERT_UNKNOWN', `tls: path building gave up after ${maxChecks} signature checks`),
      );
    }
    checks++;
    const scheme = certSignatureScheme(
      child.signatureAlgorithm,
      issuer.publicKeyAlgorithm.oid,
      child.subject.text,
    );
    let ok: boolean;
    try {
      ok = await options.provider.verify(scheme, issuer.spki, child.tbs, child.signature);
    } catch (e) {
      if (e instanceof TlsError) throw e;
      throw fail(
        'BAD_CERTIFICATE',
        `tls: the public key of "${issuer.subject.text}" could not be used`,
        e,
      );
    }
    if (!ok) {
      throw fail(
        'CERT_BAD_SIGNATURE',
        `tls: the signature on certificate "${child.subject.text}" does not verify ` +
          `with the key of "${issuer.subject.text}"`,
      );
    }
  };

  const extend = async (path: ParsedCertificate[]): Promise<ParsedCertificate[] | undefined> => {
    const child = path[path.length - 1];
    let candidates = 0;

    // 1. A trust anchor that issued `child` ends the path.
    for (const a of options.anchors) {
      if (!equalBytes(a.subject, child.issuer.der)) continue;
      candidates++;
      try {
        const anchor = a.parsed();
        checkConstraintsBelow(anchor, path);
        await verifySignature(child, anchor);
        return [...path, anchor];
      } catch (e) {
        if (e instanceof BudgetExceeded) throw e;
        record(e);
      }
    }

    // 2. Otherwise a presented CA certificate that issued `child`, and onwards from it.
    for (const ca of issuersOf(child, intermediates)) {
      if (path.some((c) => sameIdentity(c, ca))) continue; // no loops
      candidates++;
      if (path.length + 2 > maxLength) {
        record(fail('CERT_UNKNOWN', `tls: no path of at most ${maxLength} certificates`));
        continue;
      }
      try {
        checkValidity(ca, options.now);
        checkIssuer(ca, path, options.eku);
        await verifySignature(child, ca);
      } catch (e) {
        if (e instanceof BudgetExceeded) throw e;
        record(e);
        continue;
      }
      const found = await extend([...path, ca]);
      if (found) return found;
    }

    if (candidates === 0) {
      record(
        fail(
          'CERT_UNKNOWN_ISSUER',
          `tls: certificate "${child.subject.text}" was issued by "${child.issuer.text}", ` +
            'which is neither a trusted root nor among the presented certificates',
        ),
      );
    }
    return undefined;
  };

  try {
    const path = await extend([leaf]);
    if (path) return path;
  } catch (e) {
    if (e instanceof BudgetExceeded) throw e.error;
    throw e;
  }
  throw (
    best ?? fail('CERT_UNKNOWN_ISSUER', `tls: no path to a trust anchor for "${leaf.subject.text}"`)
  );
}

/** Carries the bound-exceeded error out of the search without being recorded as a candidate. */
class BudgetExceeded {
  constructor(readonly error: TlsError) {}
}

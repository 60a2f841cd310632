/**
 * Revocation checking by CRL (RFC 5280 §6.3) for a validated path: each certificate checked
 * (the end entity, or every one below the trust anchor) needs a CRL from its issuer that is
 * signed by the issuer's key, current (or the expiry policy says to use it anyway) and whose
 * scope covers it. Listed → CERT_REVOKED; no usable CRL → the unknown-status policy.
 */
import { checkDer } from '../codec/der.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';
import { equalBytes, toHex } from '../util/bytes.ts';
import { certSignatureScheme } from './algorithms.ts';
import { certificateLayout } from './cert-layout.ts';
import { CrlReason, crlReasonName, type ParsedCrl, parseCrls } from './crl.ts';
import { readCrlDistributionPoints } from './distribution-points.ts';
import { KeyUsageBit, type ParsedCertificate } from './x509.ts';

/** What a CRL source is asked for: the CRLs of the issuer of one certificate. */
export interface CrlRequest {
  /** The certificate whose status is wanted, DER. */
  certificate: Uint8Array;
  /** Its issuer's certificate, DER. */
  issuer: Uint8Array;
  /** The issuer's subject, RFC 4514 text. */
  issuerName: string;
  /** The certificate's cRLDistributionPoints URIs (RFC 5280 §4.2.1.13), if any. */
  distributionPoints: string[];
}

/**
 * Supplies CRLs on demand (PEM text or DER), for example by fetching the distribution points
 * and caching the results. Errors it throws count as "no CRL" (then the unknown-status policy
 * decides).
 */
export type CrlSource = (request: CrlRequest) => Promise<readonly (string | Uint8Array)[]>;

/** Revocation checking options of the webpki verifiers. */
export interface RevocationOptions {
  /** CRLs: PEM text (each string may hold several `X509 CRL` blocks) or DER. */
  crls?: readonly (string | Uint8Array)[];
  /** Asked for CRLs of each issuer on the checked part of the path, after `crls`. */
  source?: CrlSource;
  /** 'chain' (default): every certificate below the trust anchor; 'end-entity': the leaf only. */
  depth?: 'chain' | 'end-entity';
  /** With no usable CRL for a certificate: 'deny' (default, CERT_REVOCATION_UNKNOWN) or 'allow'. */
  unknownStatus?: 'deny' | 'allow';
  /**
   * A CRL past its nextUpdate: 'enforce' (default) does not use it, so the status is unknown;
   * 'ignore' uses it as if current.
   */
  expiredCrl?: 'enforce' | 'ignore';
}

const CRL_DISTRIBUTION_POINTS = '2.5.29.31';

function fail(code: TlsError['code'], message: string): TlsError {
  return new TlsError(code, message, { layer: 'verify' });
}

/** The cRLDistributionPoints fullName URIs of a certificate (none when absent or unreadable). */
function distributionPoints(cert: ParsedCertificate): string[] {
  try {
    for (const ext of certificateLayout(cert.der).extensions) {
      if (ext.id !== CRL_DISTRIBUTION_POINTS) continue;
      checkDer(ext.value);
      return readCrlDistributionPoints(ext.value);
    }
  } catch {
    // An unreadable non-critical extension only means no distribution points to match.
  }
  return [];
}

/** Checks the revocation status of validated paths against CRLs. */
export class RevocationChecker {
  private readonly crls: ParsedCrl[];
  private readonly depth: 'chain' | 'end-entity';
  private readonly denyUnknown: boolean;
  private readonly enforceExpiry: boolean;
  /** Signature results per CRL and issuer key (hex SPKI). */
  private readonly signatures = new WeakMap<ParsedCrl, Map<string, Promise<boolean>>>();

  /** Throws TlsError CONFIG when a configured CRL does not parse. */
  constructor(private readonly options: RevocationOptions) {
    try {
      this.crls = parseCrls(options.crls ?? []);
    } catch (cause) {
      throw new TlsError('CONFIG', 'tls: a configured CRL cannot be parsed', {
        layer: 'config',
        cause,
      });
    }
    this.depth = options.depth ?? 'chain';
    this.denyUnknown = (options.unknownStatus ?? 'deny') === 'deny';
    this.enforceExpiry = (options.expiredCrl ?? 'enforce') === 'enforce';
  }

  /**
   * Checks `path` (leaf first, trust anchor last, as `buildPath` returns it). Throws
   * CERT_REVOKED, or CERT_REVOCATION_UNKNOWN when a status cannot be established and the
   * policy denies.
   */
  async check(path: readonly ParsedCertificate[], provider: CryptoProvider, now: Date) {
    const last = this.depth === 'end-entity' ? Math.min(1, path.length - 1) : path.length - 1;
    for (let i = 0; i < last; i++) await this.checkOne(path[i], path[i + 1], provider, now);
  }

  private async checkOne(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    provider: CryptoProvider,
    now: Date,
  ): Promise<void> {
    const skipped: string[] = [];
    const candidates = [...this.crls];
    if (this.options.source) {
      try {
        const fetched = await this.options.source({
          certificate: cert.der,
          issuer: issuer.der,
          issuerName: issuer.subject.text,
          distributionPoints: distributionPoints(cert),
        });
        candidates.push(...parseCrls(fetched));
      } catch (e) {
        skipped.push(`the CRL source failed (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const serial = toHex(cert.serial);
    let vouched = false;
    for (const crl of candidates) {
      // RFC 5280 §6.3.3 (b)(1), (f): the CRL's issuer is the certificate's issuer.
      if (!equalBytes(crl.issuer.der, cert.issuer.der)) continue;
      const why = await this.unusable(crl, cert, issuer, provider, now);
      if (why) {
        skipped.push(why);
        continue;
      }
      // §6.3.3 (i): a listed serial number is revoked (removeFromCRL belongs to delta CRLs,
      // which are not used).
      const entry = crl.revoked.get(serial);
      if (entry && entry.reason !== CrlReason.removeFromCRL) {
        throw fail(
          'CERT_REVOKED',
          `tls: certificate "${cert.subject.text}" was revoked ` +
            `(${crlReasonName(entry.reason)}) at ${entry.revocationDate.toISOString()} ` +
            `by a CRL of "${crl.issuer.text}"`,
        );
      }
      // A CRL limited to some reasons can revoke but not vouch for the rest (§6.3.3 (d)).
      if (!crl.scope?.onlySomeReasons) vouched = true;
    }
    if (vouched || !this.denyUnknown) return;
    throw fail(
      'CERT_REVOCATION_UNKNOWN',
      `tls: no usable CRL from "${cert.issuer.text}" for "${cert.subject.text}"` +
        (skipped.length > 0 ? `: ${skipped.join('; ')}` : ''),
    );
  }

  /** Why `crl` cannot decide `cert`'s status, or undefined when it can. */
  private async unusable(
    crl: ParsedCrl,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    provider: CryptoProvider,
    now: Date,
  ): Promise<string | undefined> {
    // §5.2, §5.3: critical extensions that are not processed make the CRL unusable.
    if (crl.unsupportedCritical.length > 0) {
      return `a CRL has unsupported critical extension(s) ${crl.unsupportedCritical.join(', ')}`;
    }
    // §6.3.3 (b)(2): the issuing distribution point's scope must cover the certificate.
    const scope = crl.scope;
    if (scope) {
      const isCa = cert.basicConstraints?.ca === true;
      if (scope.indirect) return 'a CRL is indirect';
      if (scope.onlyAttributeCerts) return 'a CRL covers attribute certificates only';
      if (scope.onlyUserCerts && isCa) return 'a CRL covers end-entity certificates only';
      if (scope.onlyCaCerts && !isCa) return 'a CRL covers CA certificates only';
      const points = scope.uris.length > 0 ? distributionPoints(cert) : [];
      if (points.length > 0 && !scope.uris.some((u) => points.includes(u))) {
        return 'a CRL is for another distribution point';
      }
    }
    // §6.3.3 (a): thisUpdate is not in the future; nextUpdate not past, unless the policy
    // ignores expiry.
    if (crl.thisUpdate.getTime() > now.getTime()) return 'a CRL is not yet valid';
    if (this.enforceExpiry && crl.nextUpdate && crl.nextUpdate.getTime() < now.getTime()) {
      return `a CRL expired at ${crl.nextUpdate.toISOString()}`;
    }
    // §6.3.3 (f): the issuer may sign CRLs, and (g) the signature verifies with its key.
    if (issuer.keyUsage !== undefined && (issuer.keyUsage & (1 << KeyUsageBit.cRLSign)) === 0) {
      return `"${issuer.subject.text}" may not sign CRLs`;
    }
    if (
      crl.authorityKeyId &&
      issuer.subjectKeyId &&
      !equalBytes(crl.authorityKeyId, issuer.subjectKeyId)
    ) {
      return 'a CRL is signed by another key of the issuer';
    }
    if (!(await this.signatureValid(crl, issuer, provider))) {
      return 'a CRL signature does not verify';
    }
    return undefined;
  }

  private signatureValid(
    crl: ParsedCrl,
    issuer: ParsedCertificate,
    provider: CryptoProvider,
  ): Promise<boolean> {
    let byKey = this.signatures.get(crl);
    if (!byKey) {
      byKey = new Map();
      this.signatures.set(crl, byKey);
    }
    const key = toHex(issuer.spki);
    let result = byKey.get(key);
    if (!result) {
      result = (async () => {
        try {
          const scheme = certSignatureScheme(
            crl.signatureAlgorithm,
            issuer.publicKeyAlgorithm.oid,
            `CRL of ${crl.issuer.text}`,
          );
          return await provider.verify(scheme, issuer.spki, crl.tbs, crl.signature);
        } catch {
          return false;
        }
      })();
      byKey.set(key, result);
    }
    return result;
  }
}

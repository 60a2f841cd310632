/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c)): a CA's permitted and excluded subtrees
 * bound the names of every certificate below it in a path. webtls checks dNSName, iPAddress
 * and directoryName subtrees; a constraint of any other form is honoured by refusing a
 * certificate that carries a name of that form, as §4.2.1.10 requires of software that cannot
 * process it.
 */
import { TlsError } from '../error.ts';
import { equalBytes } from '../util/bytes.ts';
import { nameRdns } from './dn.ts';
import { dnsNameInSubtree, dnsNameTouchesSubtree, formatIpAddress, ipInSubtree } from './names.ts';
import type { NameConstraints, ParsedCertificate, Subtrees } from './x509.ts';

const FORM_NAMES = [
  'otherName',
  'rfc822Name',
  'dNSName',
  'x400Address',
  'directoryName',
  'ediPartyName',
  'uniformResourceIdentifier',
  'iPAddress',
  'registeredID',
];

function violation(ca: ParsedCertificate, cert: ParsedCertificate, what: string): TlsError {
  return new TlsError(
    'CERT_NAME_CONSTRAINTS',
    `tls: certificate "${cert.subject.text}" ${what}, outside the name constraints of ` +
      `"${ca.subject.text}"`,
    { layer: 'verify' },
  );
}

/** True when `rdns` begins with every RDN of `base` (RFC 5280 §7.1, compared as DER). */
function directoryInSubtree(rdns: readonly Uint8Array[], base: Uint8Array): boolean {
  const baseRdns = nameRdns(base);
  if (baseRdns.length > rdns.length) return false;
  return baseRdns.every((rdn, i) => equalBytes(rdn, rdns[i]));
}

/**
 * Checks one name against the constraints of one form. `inside(base)` says whether the name
 * lies in a base (undefined: malformed). Permitted: the name must lie in some base when any
 * base of its form exists. Excluded: the name must lie in none (`touches` for wildcards).
 */
function checkForm<T>(
  bases: { permitted: readonly T[]; excluded: readonly T[] },
  inside: (base: T) => boolean | undefined,
  touches: (base: T) => boolean | undefined,
  fail: (why: string) => TlsError,
): void {
  if (bases.permitted.length > 0) {
    let ok = false;
    for (const base of bases.permitted) {
      const r = inside(base);
      if (r === undefined) throw fail('meets a malformed permitted subtree');
      if (r) ok = true;
    }
    if (!ok) throw fail('is in no permitted subtree');
  }
  for (const base of bases.excluded) {
    const r = touches(base);
    if (r === undefined) throw fail('meets a malformed excluded subtree');
    if (r) throw fail('is in an excluded subtree');
  }
}

const EMPTY: Subtrees = { dns: [], ip: [], directory: [], otherForms: [] };

/**
 * Enforces `ca`'s name constraints on `cert`, a certificate below it in the path. Throws
 * TlsError CERT_NAME_CONSTRAINTS on a violation, on a malformed subtree, and when `cert` carries
 * a name of a form that is constrained but that webtls cannot evaluate.
 */
export function checkNameConstraints(
  ca: ParsedCertificate,
  nc: NameConstraints,
  cert: ParsedCertificate,
): void {
  const permitted = nc.permitted ?? EMPTY;
  const excluded = nc.excluded ?? EMPTY;

  for (const dns of cert.dnsNames) {
    checkForm(
      { permitted: permitted.dns, excluded: excluded.dns },
      (base) => dnsNameInSubtree(dns, base),
      (base) => dnsNameTouchesSubtree(dns, base),
      (why) => violation(ca, cert, `names DNS "${dns}", which ${why}`),
    );
  }

  for (const ip of cert.ipAddresses) {
    checkForm(
      { permitted: permitted.ip, excluded: excluded.ip },
      (base) => ipInSubtree(ip, base),
      (base) => ipInSubtree(ip, base),
      (why) => violation(ca, cert, `names IP ${formatIpAddress(ip)}, which ${why}`),
    );
  }

  // RFC 5280 §4.2.1.10: directoryName constraints apply to the subject field; an empty subject
  // (allowed when the SAN is critical, §4.1.2.6) carries no directory name to constrain.
  const rdns = nameRdns(cert.subject.der);
  if (rdns.length > 0) {
    checkForm(
      { permitted: permitted.directory, excluded: excluded.directory },
      (base) => directoryInSubtree(rdns, base),
      (base) => directoryInSubtree(rdns, base),
      (why) => violation(ca, cert, `has a subject which ${why}`),
    );
  }

  for (const form of cert.otherSanForms) {
    if (permitted.otherForms.includes(form) || excluded.otherForms.includes(form)) {
      throw violation(ca, cert, `has a ${FORM_NAMES[form]} name webtls cannot check`);
    }
    if (form === 4 && (permitted.directory.length > 0 || excluded.directory.length > 0)) {
      throw violation(ca, cert, 'has a directoryName SAN webtls cannot check');
    }
  }
}

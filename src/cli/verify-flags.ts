/**
 * The certificate flags both commands share: `-CRL FILE`, `-crl_check` and `-crl_check_all`
 * (revocation), and `-verify N` / `-Verify N` depths in openssl's sense.
 */
import type { RevocationOptions } from '../verify/revocation.ts';
import { type ParsedFlags, stringFlag, UsageError } from './args.ts';
import { readText } from './common.ts';

/** The flag specs to merge into a command's FlagSpec. */
export const REVOCATION_FLAGS = {
  CRL: 'string',
  crl_check: 'boolean',
  crl_check_all: 'boolean',
} as const;

/** Usage lines for the revocation flags. */
export const REVOCATION_USAGE = [
  '  -CRL FILE             PEM CRLs (X509 CRL blocks) for revocation checking of the peer',
  "  -crl_check            check the peer's end-entity certificate only (a CRL is needed)",
  '  -crl_check_all        check every certificate below the root (the default with -CRL)',
].join('\n');

/**
 * Revocation options from the flags: undefined when none is given. `-CRL` alone checks the
 * whole chain; `-crl_check` the end entity only; with no CRL for a certificate it is refused.
 */
export function revocationFromFlags(flags: ParsedFlags): RevocationOptions | undefined {
  const file = stringFlag(flags, 'CRL');
  if (!file && !flags.crl_check && !flags.crl_check_all) return undefined;
  if (flags.crl_check && flags.crl_check_all) {
    throw new UsageError('-crl_check and -crl_check_all exclude each other');
  }
  return {
    crls: file ? [readText(file, 'CRL file')] : [],
    depth: flags.crl_check ? 'end-entity' : 'chain',
  };
}

/**
 * openssl's verify depth N (how many intermediates may sit between the end entity and the
 * root) as a maximum path length, end entity and root included.
 */
export function pathLengthFromDepth(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 16) {
    throw new UsageError(`${flag} needs a depth from 0 to 16`);
  }
  return Number(text) + 2;
}

/**
 * `-provider fips` on the command line: the groups and suites given by flags must be approved,
 * or the command stops with a usage error naming the first that is not. The library refuses
 * the same config when the connection is built (src/conn/fips-config.ts); checking here turns
 * it into a usage error before any file is read or socket opened.
 */
import { FIPS_GROUPS, fipsGroup, fipsSuite } from '../crypto/fips-policy.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { CipherSuite, groupName, nameOf } from '../msgs/enums.ts';
import { UsageError } from './args.ts';

/** Throws UsageError when `provider` is FIPS-capable and a listed group or suite is unapproved. */
export function checkFipsFlags(
  provider: CryptoProvider,
  groups: readonly number[] | undefined,
  suites: readonly number[] | undefined,
): void {
  if (!provider.fips) return;
  const group = groups?.find((g) => !fipsGroup(g));
  if (group !== undefined) {
    const allowed = FIPS_GROUPS.map(groupName).join(', ');
    throw new UsageError(
      `-provider fips refuses group ${groupName(group)} (FIPS-approved groups: ${allowed})`,
    );
  }
  const suite = suites?.find((s) => !fipsSuite(s));
  if (suite !== undefined) {
    throw new UsageError(
      `-provider fips refuses cipher suite ${nameOf(CipherSuite, suite)} (AES-GCM suites only)`,
    );
  }
}

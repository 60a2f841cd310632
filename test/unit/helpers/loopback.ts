import type { CertifiedKey } from '../../../src/config.ts';
import type { Connection } from '../../../src/conn/types.ts';
import type { CryptoProvider } from '../../../src/crypto/provider.ts';
import { pemBlocks, pemCertificates } from '../../../src/util/pem.ts';

/**
 * Moves bytes between two sans-IO connections until neither has anything to say, or a bound on
 * rounds is reached. Returns the number of rounds. Errors from `process()` propagate.
 */
export async function pump(a: Connection, b: Connection, maxRounds = 50): Promise<number> {
  for (let round = 0; round < maxRounds; round++) {
    let moved = false;
    await a.process();
    const fromA = a.takeTls();
    if (fromA) {
      b.readTls(fromA);
      moved = true;
    }
    await b.process();
    const fromB = b.takeTls();
    if (fromB) {
      a.readTls(fromB);
      moved = true;
    }
    if (!moved) return round;
  }
  throw new Error(`pump: still talking after ${maxRounds} rounds`);
}

/** A CertifiedKey from PEM text (leaf first, then intermediates) and a PKCS#8 PEM key. */
export async function certifiedKey(
  provider: CryptoProvider,
  chainPem: string,
  keyPem: string,
): Promise<CertifiedKey> {
  const block = pemBlocks(keyPem).find((b) => b.label === 'PRIVATE KEY');
  if (!block) throw new Error('no PKCS#8 key in PEM');
  return {
    chain: pemCertificates(chainPem),
    key: await provider.signingKey({ pkcs8: block.der }),
  };
}

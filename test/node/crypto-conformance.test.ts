/**
 * The runtime-neutral crypto suites of test/unit (AEAD vectors, RFC 5869 HKDF, key exchange,
 * signatures, the test helpers, RFC 8448 §3) run again with the node provider as their only
 * subject. test/unit cannot list it: those files also run in browsers, Deno, Bun and workerd.
 * Cross-checks between providers are in crypto-cross.test.ts.
 */
import { vi } from 'vitest';

vi.mock('../unit/crypto-providers.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../unit/crypto-providers.ts')>();
  const { nodeProvider } = await import('../../src/node/index.ts');
  const providers: typeof original.PROVIDERS = [['node', (o) => nodeProvider(o)]];
  return { ...original, PROVIDERS: providers };
});

// Each suite registers its describe blocks, with the mocked PROVIDERS, in this file.
await import('../unit/crypto-aead.test.ts');
await import('../unit/crypto-hkdf-rfc5869.test.ts');
await import('../unit/crypto-kx.test.ts');
await import('../unit/crypto-signatures.test.ts');
await import('../unit/crypto-suites-testing.test.ts');
await import('../unit/rfc8448.test.ts');

/**
 * The write-through API against real peers (write-through.test.ts: openssl s_server and node:tls
 * both ways) again, with the node provider as the default provider, so records are sealed with
 * its `sealInPlace` into buffers the caller owns and opened by its `open`.
 */
import { expect, it, vi } from 'vitest';
import { defaultProvider } from '../../src/crypto/index.ts';

vi.mock('../../src/crypto/index.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/crypto/index.ts')>();
  const { nodeProvider } = await import('../../src/node/provider/index.ts');
  const shared = nodeProvider();
  return { ...original, defaultProvider: () => shared };
});

it('runs with the node provider as the default', () => {
  expect(defaultProvider().name).toBe('node');
});

// Registers its describe blocks in this file, with the mocked default provider.
await import('./write-through.test.ts');

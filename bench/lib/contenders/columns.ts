/**
 * The standard columns of the throughput, latency and 0-RTT tables: node:tls (the baseline),
 * webtls with each provider, and optionally webtls over the INSECURE null provider on both sides
 * (what the protocol costs without the crypto).
 */
import { nobleProvider, subtleProvider } from '../../../src/crypto/index.ts';
import { nodeProvider } from '../../../src/node/provider/index.ts';
import { nullProvider } from '../null-provider.ts';
import { nodeTlsContender } from './node-tls.ts';
import type { ClientFactory, Contender, ServerFactory, Setup } from './types.ts';
import { webtlsContender } from './webtls.ts';

/** The baseline column's name. */
export const BASELINE = 'node:tls';

/** The protocol-only column's name. */
export const NO_CRYPTO = 'webtls no-crypto';

/** node:tls, webtls subtle, webtls noble, webtls node and, with `noCrypto`, webtls no-crypto. */
export function standardContenders(noCrypto: boolean): Contender[] {
  const list = [
    nodeTlsContender,
    webtlsContender('webtls subtle', subtleProvider()),
    webtlsContender('webtls noble', nobleProvider()),
    webtlsContender('webtls node', nodeProvider()),
  ];
  if (noCrypto) list.push(webtlsContender(NO_CRYPTO, nullProvider(subtleProvider())));
  return list;
}

/** Each contender's client and server for `setup`, by name; those that cannot do it are left out. */
export async function pairFactories(
  contenders: readonly Contender[],
  setup: Setup,
): Promise<Map<string, { client: ClientFactory; server: ServerFactory }>> {
  const factories = new Map<string, { client: ClientFactory; server: ServerFactory }>();
  for (const contender of contenders) {
    const client = await contender.client(setup);
    const server = await contender.server(setup);
    if (client && server) factories.set(contender.name, { client, server });
  }
  return factories;
}

/**
 * Encrypted Client Hello for applications: configurations, keys, and finding a server's
 * configuration in DNS. The handshake itself is configured with `ClientConfig.ech` and
 * `ServerConfig.ech`.
 */
export {
  decodeEchConfigList,
  type EchConfig,
  type EchConfigContents,
  encodeEchConfigList,
  type HpkeSymmetricCipherSuite,
} from './config.ts';
export { fetchEchConfigList } from './doh.ts';
export {
  type EchKeyPair,
  echKeyFromPem,
  echKeyToPem,
  type GenerateEchKeyOptions,
  generateEchKey,
} from './keys.ts';

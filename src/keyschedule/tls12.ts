import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import type { Tls12Suite } from '../crypto/suites.ts';
import { concat, utf8 } from '../util/bytes.ts';

/**
 * The TLS 1.2 key schedule: the PRF (RFC 5246 §5), the master secret (RFC 5246 §8.1, or the
 * extended master secret of RFC 7627 §4), the key block (RFC 5246 §6.3) and Finished
 * verify_data (RFC 5246 §7.4.9).
 */

/** Length of the master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48;

/** Length of Finished.verify_data for every suite webtls implements (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12;

/**
 * RFC 5246 §5:
 *
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
 *                          HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 *   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 */
export async function prf(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const labelSeed = concat(utf8(label), seed);
  const out = new Uint8Array(length);
  let a = labelSeed;
  let at = 0;
  while (at < length) {
    a = await provider.hmac(hash, secret, a);
    const block = await provider.hmac(hash, secret, concat(a, labelSeed));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/**
 * RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash),
 * where session_hash is the transcript hash through ClientKeyExchange.
 */
export function extendedMasterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Promise<Uint8Array> {
  return prf(
    provider,
    hash,
    preMasterSecret,
    'extended master secret',
    sessionHash,
    MASTER_SECRET_LENGTH,
  );
}

/**
 * RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
 * ClientHello.random + ServerHello.random). Used only when the peer does not negotiate the
 * extended master secret and the config allows that (RFC 7627 §5.2).
 */
export function legacyMasterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Uint8Array> {
  return prf(
    provider,
    hash,
    preMasterSecret,
    'master secret',
    concat(clientRandom, serverRandom),
    MASTER_SECRET_LENGTH,
  );
}

/** The AEAD keys and IVs of one TLS 1.2 connection state pair. */
export interface Tls12Keys {
  clientKey: Uint8Array;
  serverKey: Uint8Array;
  /** client_write_IV: the GCM salt (4 bytes) or the ChaCha20 IV (12 bytes). */
  clientIv: Uint8Array;
  serverIv: Uint8Array;
}

/**
 * RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random),
 * cut into client_write_MAC_key, server_write_MAC_key (empty for AEAD suites), client_write_key,
 * server_write_key, client_write_IV, server_write_IV.
 */
export async function keyBlock(
  provider: CryptoProvider,
  suite: Tls12Suite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Tls12Keys> {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = await prf(
    provider,
    suite.hash,
    masterSecret,
    'key expansion',
    concat(serverRandom, clientRandom),
    2 * k + 2 * iv,
  );
  return {
    clientKey: block.slice(0, k),
    serverKey: block.slice(k, 2 * k),
    clientIv: block.slice(2 * k, 2 * k + iv),
    serverIv: block.slice(2 * k + iv, 2 * k + 2 * iv),
  };
}

/**
 * RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label,
 * Hash(handshake_messages))[0..11], finished_label "client finished" or "server finished".
 */
export function finishedVerifyData12(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  masterSecret: Uint8Array,
  client: boolean,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  const label = client ? 'client finished' : 'server finished';
  return prf(provider, hash, masterSecret, label, transcriptHash, VERIFY_DATA_LENGTH);
}

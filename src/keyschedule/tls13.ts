import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { hashLength } from '../crypto/provider.ts';
import { deriveSecret, expandLabel } from './hkdf-label.ts';

/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) as a chain of stages. Each stage can only be reached
 * from the one before it, so traffic secrets for application data can only come from the master
 * secret, which can only come after the handshake secret.
 *
 *              0
 *              |
 *    PSK ->  HKDF-Extract = Early Secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *   (EC)DHE -> HKDF-Extract = Handshake Secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *   0 -> HKDF-Extract = Master Secret
 */
abstract class Stage {
  constructor(
    protected readonly provider: CryptoProvider,
    readonly hash: HashAlgorithm,
    protected readonly secret: Uint8Array,
  ) {}

  protected derive(label: string, transcriptHash: Uint8Array): Promise<Uint8Array> {
    return deriveSecret(this.provider, this.hash, this.secret, label, transcriptHash);
  }

  /** Derive-Secret(., "derived", "") for the next extraction. */
  protected async derivedSalt(): Promise<Uint8Array> {
    const empty = await this.provider.digest(this.hash, new Uint8Array(0));
    return this.derive('derived', empty);
  }
}

export class EarlySecret extends Stage {
  /** Early Secret = HKDF-Extract(0, PSK), with PSK = 0 when none is used. */
  static async create(
    provider: CryptoProvider,
    hash: HashAlgorithm,
    psk?: Uint8Array,
  ): Promise<EarlySecret> {
    const zeros = new Uint8Array(hashLength[hash]);
    const secret = await provider.hkdfExtract(hash, zeros, psk ?? zeros);
    return new EarlySecret(provider, hash, secret);
  }

  /** "ext binder" or "res binder" binder key (RFC 8446 §4.2.11.2). */
  async binderKey(external: boolean): Promise<Uint8Array> {
    const empty = await this.provider.digest(this.hash, new Uint8Array(0));
    return this.derive(external ? 'ext binder' : 'res binder', empty);
  }

  /** client_early_traffic_secret over ClientHello. */
  clientEarlyTrafficSecret(chHash: Uint8Array): Promise<Uint8Array> {
    return this.derive('c e traffic', chHash);
  }

  async handshake(sharedSecret: Uint8Array): Promise<HandshakeSecret> {
    const salt = await this.derivedSalt();
    const secret = await this.provider.hkdfExtract(this.hash, salt, sharedSecret);
    return new HandshakeSecret(this.provider, this.hash, secret);
  }
}

export class HandshakeSecret extends Stage {
  /** [client, server] handshake traffic secrets over ClientHello...ServerHello. */
  trafficSecrets(helloHash: Uint8Array): Promise<[Uint8Array, Uint8Array]> {
    return Promise.all([
      this.derive('c hs traffic', helloHash),
      this.derive('s hs traffic', helloHash),
    ]);
  }

  async master(): Promise<MasterSecret> {
    const salt = await this.derivedSalt();
    const zeros = new Uint8Array(hashLength[this.hash]);
    const secret = await this.provider.hkdfExtract(this.hash, salt, zeros);
    return new MasterSecret(this.provider, this.hash, secret);
  }
}

export class MasterSecret extends Stage {
  /** [client, server] application traffic secrets over ClientHello...server Finished. */
  trafficSecrets(finishedHash: Uint8Array): Promise<[Uint8Array, Uint8Array]> {
    return Promise.all([
      this.derive('c ap traffic', finishedHash),
      this.derive('s ap traffic', finishedHash),
    ]);
  }

  /** exporter_master_secret over ClientHello...server Finished. */
  exporterSecret(finishedHash: Uint8Array): Promise<Uint8Array> {
    return this.derive('exp master', finishedHash);
  }

  /** resumption_master_secret over ClientHello...client Finished. */
  resumptionSecret(clientFinishedHash: Uint8Array): Promise<Uint8Array> {
    return this.derive('res master', clientFinishedHash);
  }
}

/** RFC 8446 §7.3: the record key and IV for a traffic secret. */
export async function trafficKeys(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  keyLength: number,
): Promise<{ key: Uint8Array; iv: Uint8Array }> {
  const empty = new Uint8Array(0);
  const [key, iv] = await Promise.all([
    expandLabel(provider, hash, secret, 'key', empty, keyLength),
    expandLabel(provider, hash, secret, 'iv', empty, 12),
  ]);
  return { key, iv };
}

/** RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
export async function finishedVerifyData(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  const empty = new Uint8Array(0);
  const finishedKey = await expandLabel(
    provider,
    hash,
    baseKey,
    'finished',
    empty,
    hashLength[hash],
  );
  return provider.hmac(hash, finishedKey, transcriptHash);
}

/** RFC 8446 §7.2: application_traffic_secret_N+1 for KeyUpdate. */
export function nextTrafficSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
): Promise<Uint8Array> {
  return expandLabel(provider, hash, secret, 'traffic upd', new Uint8Array(0), hashLength[hash]);
}

/** RFC 8446 §4.6.1: the PSK for a ticket, from resumption_master_secret and ticket_nonce. */
export function resumptionPsk(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  resumptionSecret: Uint8Array,
  ticketNonce: Uint8Array,
): Promise<Uint8Array> {
  return expandLabel(provider, hash, resumptionSecret, 'resumption', ticketNonce, hashLength[hash]);
}

/** RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length). */
export async function exportKeyingMaterial(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const empty = await provider.digest(hash, new Uint8Array(0));
  const derived = await deriveSecret(provider, hash, exporterSecret, label, empty);
  const contextHash = await provider.digest(hash, context);
  return expandLabel(provider, hash, derived, 'exporter', contextHash, length);
}

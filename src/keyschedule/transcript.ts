import type { CryptoProvider, HashAlgorithm } from '../crypto/provider.ts';
import { concat } from '../util/bytes.ts';

/**
 * The handshake transcript (RFC 8446 §4.4.1). Messages are kept as framed bytes and hashed on
 * demand: a handshake hashes a handful of times, and WebCrypto has no incremental digest.
 *
 * Before the cipher suite is known the hash is unknown too, so messages are buffered first and
 * the hash is fixed with `setHash`.
 */
export class Transcript {
  private messages: Uint8Array[] = [];
  private hashAlg: HashAlgorithm | undefined;

  constructor(private readonly provider: CryptoProvider) {}

  get hash(): HashAlgorithm {
    if (!this.hashAlg) throw new Error('tls: transcript hash not chosen yet');
    return this.hashAlg;
  }

  setHash(alg: HashAlgorithm): void {
    this.hashAlg = alg;
  }

  /** Appends a framed handshake message (type, u24 length, body). */
  add(message: Uint8Array): void {
    this.messages.push(message);
  }

  /**
   * Every message added so far, concatenated: what a TLS 1.2 CertificateVerify signs
   * (RFC 5246 §7.4.8 signs handshake_messages themselves; the scheme's hash is applied by the
   * signature).
   */
  bytes(): Uint8Array {
    return concat(...this.messages);
  }

  /** Transcript-Hash of everything added so far. */
  current(): Promise<Uint8Array> {
    return this.provider.digest(this.hash, concat(...this.messages));
  }

  /** Transcript-Hash of everything so far plus `extra` (not added). */
  with(extra: Uint8Array): Promise<Uint8Array> {
    return this.provider.digest(this.hash, concat(...this.messages, extra));
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   *   message_hash (254) || 00 00 || Hash.length || Hash(ClientHello1).
   * Must be called when the only message in the transcript is ClientHello1.
   */
  async replaceWithMessageHash(): Promise<void> {
    const digest = await this.provider.digest(this.hash, concat(...this.messages));
    const synthetic = new Uint8Array(4 + digest.length);
    synthetic[0] = 254;
    synthetic[3] = digest.length;
    synthetic.set(digest, 4);
    this.messages = [synthetic];
  }
}

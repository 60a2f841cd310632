/**
 * TLS 1.2 client authentication on the server (RFC 5246 §7.4.4, §7.4.6, §7.4.8): the
 * CertificateRequest, the state that takes the client's Certificate before its
 * ClientKeyExchange, and the state that takes its CertificateVerify after it.
 */
import type { HandshakeState } from '../../conn/core.ts';
import { spkiInfo } from '../../crypto/spki.ts';
import { TlsError } from '../../error.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import {
  ClientCertificateType,
  encodeCertificateRequest12,
} from '../../msgs/certificate-request12.ts';
import { decodeCertificateVerify } from '../../msgs/certificate-verify.ts';
import { decodeCertificate12 } from '../../msgs/certificate12.ts';
import { HandshakeType, nameOf, SignatureScheme } from '../../msgs/enums.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { asClientVerifierError, checkPeerChainLimits, verifyPeerChain } from '../peer-chain.ts';
import { certificateTypeFor, schemeFitsKey12, verifyCertificateVerify12 } from '../tls12-auth.ts';
import type { ClientAuth } from './client-auth.ts';
import type { ServerContext } from './context.ts';

/** What the TLS 1.2 CertificateRequest asked for. */
export interface SentRequest12 {
  certificateTypes: number[];
  /** supported_signature_algorithms: the schemes a CertificateVerify may use. */
  schemes: number[];
}

/**
 * Builds the TLS 1.2 CertificateRequest body (RFC 5246 §7.4.4): certificate_types ecdsa_sign
 * (RFC 8422 §5.5, which also covers Ed25519) and rsa_sign; every scheme the provider verifies
 * that has a meaning in TLS 1.2 (PKCS#1 included, RFC 5246 §7.4.1.4.1); and, when the verifier
 * names them, the acceptable issuers, as the TLS 1.3 request does.
 */
export function certificateRequest12(
  ctx: ServerContext,
  auth: ClientAuth,
): { body: Uint8Array; sent: SentRequest12 } {
  const certificateTypes = [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign];
  const schemes = ctx.provider.signatureSchemes.filter(
    (s) =>
      schemeFitsKey12(s, 'ecdsa') ||
      schemeFitsKey12(s, 'ed25519') ||
      schemeFitsKey12(s, 'rsa') ||
      schemeFitsKey12(s, 'rsa-pss'),
  );
  const body = encodeCertificateRequest12({
    certificateTypes,
    schemes,
    authorities: [...(auth.verifier.acceptableIssuers ?? [])],
  });
  return { body, sent: { certificateTypes, schemes } };
}

/**
 * The client's Certificate (RFC 5246 §7.4.6), the first message after ServerHelloDone when a
 * certificate was requested. `next` gets the leaf's key (undefined when the client sent none)
 * and returns the state that takes the ClientKeyExchange.
 */
export class ExpectClientCertificate12 implements HandshakeState {
  readonly name = 'ExpectClientCertificate (TLS 1.2)';

  constructor(
    private readonly ctx: ServerContext,
    private readonly auth: ClientAuth,
    private readonly sent: SentRequest12,
    private readonly transcript: Transcript,
    private readonly next: (clientSpki: Uint8Array | undefined) => HandshakeState,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    // §7.4.6: "This is the first message the client can send after receiving a ServerHelloDone
    // message. This message is only sent if the server requests a certificate."
    if (msg.type !== HandshakeType.certificate) throw unexpected(msg, this.name);
    const { ctx, auth } = this;
    const { conn } = ctx;
    const chain = decodeCertificate12(msg.body);
    checkPeerChainLimits(conn.limitsInEffect, chain);
    this.transcript.add(msg.raw);

    // §7.4.6: "If the client does not send any certificates, the server MAY at its discretion
    // either continue the handshake without client authentication, or respond with a fatal
    // handshake_failure alert." (certificate_required exists only in TLS 1.3.)
    if (chain.length === 0) {
      if (auth.required) {
        throw new TlsError('HANDSHAKE_FAILURE', 'tls: the client sent no certificate');
      }
      return this.next(undefined);
    }

    // §7.4.6: the certificate type "MUST be appropriate for the client's certificate types".
    const spki = parseCertificate(chain[0]).spki;
    if (!this.sent.certificateTypes.includes(certificateTypeFor(spkiInfo(spki).algorithm))) {
      throw new TlsError('UNSUPPORTED_CERTIFICATE', 'tls: client certificate key not requested');
    }
    // A chain that does not verify ends the handshake with the alert its error code names
    // (RFC 5246 §7.2.2), as in TLS 1.3.
    await verifyPeerChain(conn.info, chain, () =>
      auth.verifier.verifyClient(chain, { provider: ctx.provider }),
    ).catch(asClientVerifierError);
    return this.next(spki);
  }
}

/**
 * The client's CertificateVerify (RFC 5246 §7.4.8), right after its ClientKeyExchange when it
 * sent a certificate; `next` takes the ChangeCipherSpec.
 */
export class ExpectClientCertificateVerify12 implements HandshakeState {
  readonly name = 'ExpectClientCertificateVerify (TLS 1.2)';

  constructor(
    private readonly ctx: ServerContext,
    private readonly sent: SentRequest12,
    private readonly transcript: Transcript,
    private readonly spki: Uint8Array,
    private readonly next: HandshakeState,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    // §7.4.8: "This message is used to provide explicit verification of a client certificate.
    // This message is only sent following a client certificate that has signing capability".
    if (msg.type !== HandshakeType.certificate_verify) throw unexpected(msg, this.name);
    const cv = decodeCertificateVerify(msg.body);
    // §7.4.8: the signature covers handshake_messages, "all handshake messages sent or received,
    // starting at client hello and up to, but not including, this message".
    await verifyCertificateVerify12(this.ctx.provider, {
      scheme: cv.algorithm,
      offered: this.sent.schemes,
      spki: this.spki,
      content: this.transcript.bytes(),
      signature: cv.signature,
    });
    this.ctx.conn.info.peerSignatureScheme = nameOf(SignatureScheme, cv.algorithm);
    this.transcript.add(msg.raw);
    return this.next;
  }
}

function unexpected(msg: HandshakeMessage, state: string): TlsError {
  return new TlsError(
    'UNEXPECTED_MESSAGE',
    `tls: unexpected ${nameOf(HandshakeType, msg.type, 2)} in ${state}`,
  );
}

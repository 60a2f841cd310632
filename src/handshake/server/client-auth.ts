/**
 * TLS 1.3 client authentication on the server (RFC 8446 §4.3.2, §4.4.2, §4.4.3): the
 * CertificateRequest, then the states that take the client's Certificate and CertificateVerify
 * before its Finished.
 */
import type { HandshakeState } from '../../conn/core.ts';
import { TlsError } from '../../error.ts';
import type { Transcript } from '../../keyschedule/transcript.ts';
import { decodeCertificate } from '../../msgs/certificate.ts';
import { encodeCertificateRequest } from '../../msgs/certificate-request.ts';
import { decodeCertificateVerify } from '../../msgs/certificate-verify.ts';
import { ExtensionType, HandshakeType, nameOf, SignatureScheme } from '../../msgs/enums.ts';
import { checkAllowed, checkOffered } from '../../msgs/extensions/allowed.ts';
import { encodeCertificateAuthorities } from '../../msgs/extensions/certificate-authorities.ts';
import type { Extension } from '../../msgs/extensions/extension.ts';
import { encodeSignatureSchemes } from '../../msgs/extensions/signature-algorithms.ts';
import type { HandshakeMessage } from '../../msgs/handshake.ts';
import { equalBytes } from '../../util/bytes.ts';
import type { ClientCertVerifier } from '../../verify/types.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { compressionExtension, decompressCertificate } from '../cert-compression.ts';
import { isTls13SignatureScheme, verifyCertificateVerify } from '../certificate-verify.ts';
import { asClientVerifierError, checkPeerChainLimits, verifyPeerChain } from '../peer-chain.ts';
import type { ServerContext } from './context.ts';

/** How the server authenticates clients, resolved from its config. */
export interface ClientAuth {
  required: boolean;
  verifier: ClientCertVerifier;
}

/** What the CertificateRequest asked for, which the client's answer is checked against. */
export interface SentRequest {
  context: Uint8Array;
  /** The extension types sent (a client's CertificateEntry extensions must be among them). */
  extensionTypes: number[];
  /** signature_algorithms: the schemes a CertificateVerify may use. */
  schemes: number[];
}

/**
 * Builds the CertificateRequest body (RFC 8446 §4.3.2): an empty context, signature_algorithms
 * (the TLS 1.3 schemes the provider verifies), signature_algorithms_cert (every scheme it
 * verifies, PKCS#1 included, §4.2.3) and, when the verifier names them, certificate_authorities.
 */
export function certificateRequest(
  ctx: ServerContext,
  auth: ClientAuth,
): { body: Uint8Array; sent: SentRequest } {
  const certSchemes = [...ctx.provider.signatureSchemes];
  const schemes = certSchemes.filter(isTls13SignatureScheme);
  const extensions: Extension[] = [
    { type: ExtensionType.signature_algorithms, data: encodeSignatureSchemes(schemes) },
    { type: ExtensionType.signature_algorithms_cert, data: encodeSignatureSchemes(certSchemes) },
  ];
  // RFC 8879 §3: compress_certificate in CertificateRequest offers to take the client's
  // certificate compressed.
  const compression = compressionExtension(ctx.certCompression);
  if (compression) extensions.push(compression);
  const issuers = auth.verifier.acceptableIssuers;
  if (issuers && issuers.length > 0) {
    extensions.push({
      type: ExtensionType.certificate_authorities,
      data: encodeCertificateAuthorities(issuers),
    });
  }
  const context = new Uint8Array(0);
  return {
    body: encodeCertificateRequest({ context, extensions }),
    sent: { context, extensionTypes: extensions.map((e) => e.type), schemes },
  };
}

/** The client's Certificate (RFC 8446 §4.4.2), after the server's Finished. */
export class ExpectClientCertificate implements HandshakeState {
  readonly name = 'ExpectClientCertificate';

  /** `finished` is the state that takes the client's Finished. */
  constructor(
    private readonly ctx: ServerContext,
    private readonly auth: ClientAuth,
    private readonly sent: SentRequest,
    private readonly transcript: Transcript,
    private readonly finished: HandshakeState,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    const { ctx, auth, sent } = this;
    const { conn } = ctx;
    // RFC 8879 §4: a CompressedCertificate when we listed algorithms in the request.
    const compressed =
      msg.type === HandshakeType.compressed_certificate && ctx.certCompression.length > 0;
    if (msg.type !== HandshakeType.certificate && !compressed) throw unexpected(msg, this.name);
    const body = compressed
      ? await decompressCertificate(conn, ctx.certCompression, msg.body, conn.maxHandshakeMessage)
      : msg.body;
    const cert = decodeCertificate(body);
    checkPeerChainLimits(
      conn.limitsInEffect,
      cert.entries.map((e) => e.data),
    );
    // §4.4.2: the context echoes the CertificateRequest's.
    if (!equalBytes(cert.context, sent.context)) {
      throw new TlsError('ILLEGAL_PARAMETER', 'tls: client certificate_request_context differs');
    }
    // §4.4.2: "Extensions in the Certificate message from the client MUST correspond to
    // extensions in the CertificateRequest message from the server."
    for (const entry of cert.entries) {
      checkAllowed(HandshakeType.certificate, entry.extensions);
      checkOffered(sent.extensionTypes, entry.extensions);
    }
    this.transcript.add(msg.raw);

    // §4.4.2.4: "If the client does not send any certificates (i.e., it sends an empty
    // Certificate message), the server MAY at its discretion either continue the handshake
    // without client authentication or abort the handshake with a "certificate_required"
    // alert."
    if (cert.entries.length === 0) {
      if (auth.required) {
        throw new TlsError('CERTIFICATE_REQUIRED', 'tls: the client sent no certificate');
      }
      return this.finished;
    }

    const chain = cert.entries.map((e) => e.data);
    // §4.4.2.4: a chain that does not verify ends the handshake with the alert §6.2 names
    // for the reason (the error's code decides it).
    await verifyPeerChain(conn.info, chain, () =>
      auth.verifier.verifyClient(chain, { provider: ctx.provider }),
    ).catch(asClientVerifierError);
    const spki = parseCertificate(chain[0]).spki;
    return new ExpectClientCertificateVerify(ctx, sent, this.transcript, spki, this.finished);
  }
}

/** The client's CertificateVerify (RFC 8446 §4.4.3), when it sent a certificate. */
class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = 'ExpectClientCertificateVerify';

  constructor(
    private readonly ctx: ServerContext,
    private readonly sent: SentRequest,
    private readonly transcript: Transcript,
    private readonly spki: Uint8Array,
    private readonly finished: HandshakeState,
  ) {}

  async handle(msg: HandshakeMessage): Promise<HandshakeState> {
    // §4.4.3: "Servers MUST send this message when authenticating via a certificate. Clients
    // MUST send this message whenever authenticating via a certificate".
    if (msg.type !== HandshakeType.certificate_verify) throw unexpected(msg, this.name);
    const cv = decodeCertificateVerify(msg.body);
    await verifyCertificateVerify(this.ctx.provider, {
      server: false,
      scheme: cv.algorithm,
      signature: cv.signature,
      spki: this.spki,
      offered: this.sent.schemes,
      transcriptHash: await this.transcript.current(),
    });
    this.ctx.conn.info.peerSignatureScheme = nameOf(SignatureScheme, cv.algorithm);
    this.transcript.add(msg.raw);
    return this.finished;
  }
}

function unexpected(msg: HandshakeMessage, state: string): TlsError {
  return new TlsError(
    'UNEXPECTED_MESSAGE',
    `tls: unexpected ${nameOf(HandshakeType, msg.type, 2)} in ${state}`,
  );
}

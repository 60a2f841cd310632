import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { decodeCertificate, encodeCertificate } from '../../src/msgs/certificate.ts';
import { decodeCertificateRequest } from '../../src/msgs/certificate-request.ts';
import { decodeCertificateVerify } from '../../src/msgs/certificate-verify.ts';
import { decodeClientHello, encodeClientHello, offersTls13 } from '../../src/msgs/client-hello.ts';
import { decodeCompressedCertificate } from '../../src/msgs/compressed-certificate.ts';
import { decodeEncryptedExtensions } from '../../src/msgs/encrypted-extensions.ts';
import { decodeEndOfEarlyData } from '../../src/msgs/end-of-early-data.ts';
import { ExtensionType, HandshakeType } from '../../src/msgs/enums.ts';
import { checkAllowed, checkOffered } from '../../src/msgs/extensions/allowed.ts';
import { decodeAlpn, decodeAlpnSelected } from '../../src/msgs/extensions/alpn.ts';
import { decodeCertificateAuthorities } from '../../src/msgs/extensions/certificate-authorities.ts';
import { decodeCompressCertificate } from '../../src/msgs/extensions/compress-certificate.ts';
import { decodeCookie } from '../../src/msgs/extensions/cookie.ts';
import { decodeEarlyDataTicket } from '../../src/msgs/extensions/early-data.ts';
import { decodeEcPointFormats } from '../../src/msgs/extensions/ec-point-formats.ts';
import { decodeEmptyExtension } from '../../src/msgs/extensions/empty.ts';
import { decodeExtensions } from '../../src/msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
} from '../../src/msgs/extensions/key-share.ts';
import {
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
} from '../../src/msgs/extensions/pre-shared-key.ts';
import { decodePskKeyExchangeModes } from '../../src/msgs/extensions/psk-key-exchange-modes.ts';
import { decodeRecordSizeLimit } from '../../src/msgs/extensions/record-size-limit.ts';
import { decodeRenegotiationInfo } from '../../src/msgs/extensions/renegotiation-info.ts';
import { decodeServerName } from '../../src/msgs/extensions/server-name.ts';
import { decodeSignatureSchemes } from '../../src/msgs/extensions/signature-algorithms.ts';
import { decodeSupportedGroups } from '../../src/msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
} from '../../src/msgs/extensions/supported-versions.ts';
import { decodeFinished } from '../../src/msgs/finished.ts';
import { decodeHandshake, encodeHandshake, HandshakeJoiner } from '../../src/msgs/handshake.ts';
import { decodeKeyUpdate } from '../../src/msgs/key-update.ts';
import { decodeNewSessionTicket } from '../../src/msgs/new-session-ticket.ts';
import { truncatedClientHelloLength } from '../../src/msgs/psk-binders.ts';
import { decodeServerHello } from '../../src/msgs/server-hello.ts';
import { sampleClientHello, seq } from './msgs-helpers.ts';

const decoders: Record<string, (b: Uint8Array) => unknown> = {
  decodeHandshake,
  decodeClientHello: (b) => {
    const ch = decodeClientHello(b);
    offersTls13(ch);
    checkAllowed(HandshakeType.client_hello, ch.extensions);
    return ch;
  },
  decodeServerHello: (b) => checkOffered([], decodeServerHello(b).extensions),
  decodeEncryptedExtensions,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeFinished: (b) => decodeFinished(b, 32),
  decodeNewSessionTicket,
  decodeEndOfEarlyData,
  decodeKeyUpdate,
  decodeCompressedCertificate,
  decodeExtensions,
  decodeServerName,
  decodeSupportedGroups,
  decodeSignatureSchemes,
  decodeAlpn,
  decodeAlpnSelected,
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  decodeKeyShareClientHello,
  decodeKeyShareServerHello,
  decodeKeyShareHelloRetryRequest,
  decodeCookie,
  decodePskKeyExchangeModes,
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
  decodeEarlyDataTicket,
  decodeRecordSizeLimit,
  decodeCompressCertificate,
  decodeEcPointFormats,
  decodeRenegotiationInfo,
  decodeCertificateAuthorities,
  decodeEmptyExtension: (b) => decodeEmptyExtension(ExtensionType.early_data, b),
  truncatedClientHelloLength,
};

/** Calls `fn`; passes if it returns or throws a TlsError, fails on any other exception. */
function onlyTlsErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof TlsError) return true;
    throw e;
  }
}

const validClientHello = encodeClientHello(sampleClientHello(true));
const validCertificate = encodeCertificate({
  context: new Uint8Array(0),
  entries: [{ data: seq(40), extensions: [{ type: 5, data: seq(6) }] }],
});

describe('decoders throw only TlsError on arbitrary input (fast-check)', () => {
  for (const [name, decode] of Object.entries(decoders)) {
    it(name, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
          onlyTlsErrors(() => decode(bytes)),
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('mutated valid messages throw only TlsError', () => {
  const mutation = (base: Uint8Array) =>
    fc
      .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((edits) => {
        const out = base.slice();
        for (const [at, v] of edits) out[at] = v;
        return out;
      });

  it('ClientHello with a PSK, through decode, checks and binder truncation', () => {
    fc.assert(
      fc.property(mutation(validClientHello), (body) =>
        onlyTlsErrors(() => {
          decoders.decodeClientHello(body);
          truncatedClientHelloLength(encodeHandshake(HandshakeType.client_hello, body));
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('Certificate', () => {
    fc.assert(
      fc.property(mutation(validCertificate), (body) =>
        onlyTlsErrors(() => decodeCertificate(body)),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('HandshakeJoiner on arbitrary record payloads', () => {
  it('throws only TlsError and never buffers more than one capped message', () => {
    const max = 512;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }), (payloads) =>
        onlyTlsErrors(() => {
          const j = new HandshakeJoiner({ maxMessageSize: max });
          for (const p of payloads) {
            j.push(p);
            for (let m = j.next(); m; m = j.next()) expect(m.body.length).toBeLessThanOrEqual(max);
            expect(j.bufferedBytes).toBeLessThan(4 + max);
          }
        }),
      ),
      { numRuns: 500 },
    );
  });
});

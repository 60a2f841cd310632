/**
 * Fuzz targets: one per parser family, each taking raw bytes and driving the decoders the way a
 * connection would. A target passes when it returns or throws an allowed error (TlsError, and
 * DerError for the bare DER codec); anything else is a finding. Runtime-neutral: only src/.
 */
import { checkDer, DerError, DerReader, readTlv } from '../../src/codec/der.ts';
import { decodeEchConfigList } from '../../src/ech/config.ts';
import { decodeDnsResponse, decodeSvcb } from '../../src/ech/dns.ts';
import { decodeInner } from '../../src/ech/inner.ts';
import { TlsError } from '../../src/error.ts';
import { decodeCertificate } from '../../src/msgs/certificate.ts';
import { decodeCertificateRequest } from '../../src/msgs/certificate-request.ts';
import { decodeCertificateRequest12 } from '../../src/msgs/certificate-request12.ts';
import { decodeCertificateVerify } from '../../src/msgs/certificate-verify.ts';
import { decodeCertificate12 } from '../../src/msgs/certificate12.ts';
import { type ClientHello, decodeClientHello, offersTls13 } from '../../src/msgs/client-hello.ts';
import { decodeClientKeyExchange } from '../../src/msgs/client-key-exchange.ts';
import { decodeCompressedCertificate } from '../../src/msgs/compressed-certificate.ts';
import { decodeEncryptedExtensions } from '../../src/msgs/encrypted-extensions.ts';
import { decodeEndOfEarlyData } from '../../src/msgs/end-of-early-data.ts';
import { ContentType, ExtensionType, HandshakeType } from '../../src/msgs/enums.ts';
import { checkAllowed } from '../../src/msgs/extensions/allowed.ts';
import { decodeAlpn, decodeAlpnSelected } from '../../src/msgs/extensions/alpn.ts';
import { decodeCertificateAuthorities } from '../../src/msgs/extensions/certificate-authorities.ts';
import { decodeCompressCertificate } from '../../src/msgs/extensions/compress-certificate.ts';
import { decodeCookie } from '../../src/msgs/extensions/cookie.ts';
import { decodeEarlyDataTicket } from '../../src/msgs/extensions/early-data.ts';
import { decodeEcPointFormats } from '../../src/msgs/extensions/ec-point-formats.ts';
import {
  decodeEchClientHello,
  decodeEchHrrConfirmation,
  decodeOuterExtensions,
} from '../../src/msgs/extensions/ech.ts';
import { decodeEmptyExtension } from '../../src/msgs/extensions/empty.ts';
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
import { decodeHandshake, HandshakeJoiner } from '../../src/msgs/handshake.ts';
import { decodeKeyUpdate } from '../../src/msgs/key-update.ts';
import { decodeNewSessionTicket } from '../../src/msgs/new-session-ticket.ts';
import { decodeNewSessionTicket12 } from '../../src/msgs/new-session-ticket12.ts';
import { truncatedClientHelloLength } from '../../src/msgs/psk-binders.ts';
import { decodeServerHello } from '../../src/msgs/server-hello.ts';
import { decodeServerKeyExchange } from '../../src/msgs/server-key-exchange.ts';
import { Deframer } from '../../src/record/deframer.ts';
import { decodeServerState } from '../../src/sessions/server-state.ts';
import { decodeStoredSession } from '../../src/sessions/stored-session.ts';
import { parseCrl } from '../../src/verify/crl.ts';
import { parseCertificate } from '../../src/verify/x509.ts';

/** One fuzz target. */
export interface FuzzTarget {
  /** Also the name of its seed directory under test/fuzz/corpus/. */
  name: string;
  /** Runs the parsers on `input`; returns or throws. */
  run(input: Uint8Array): void;
  /** Whether an exception thrown by `run` is the documented rejection of bad input. */
  allowed(e: unknown): boolean;
  /** Corpus directories to seed from, when not (only) its own. */
  seedsFrom?: string[];
}

const tlsOnly = (e: unknown) => e instanceof TlsError;
const tlsOrDer = (e: unknown) => e instanceof TlsError || e instanceof DerError;

/** Runs `fn`, swallowing TlsError so one input can reach several decoders. */
function attempt(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
  }
}

/** Decoders of extension_data by extension type; each variant (client/server) is tried. */
const EXTENSION_DECODERS = new Map<number, ((data: Uint8Array) => unknown)[]>([
  [ExtensionType.server_name, [decodeServerName, (d) => decodeEmptyExtension(0, d)]],
  [ExtensionType.supported_groups, [decodeSupportedGroups]],
  [ExtensionType.ec_point_formats, [decodeEcPointFormats]],
  [ExtensionType.signature_algorithms, [decodeSignatureSchemes]],
  [ExtensionType.signature_algorithms_cert, [decodeSignatureSchemes]],
  [ExtensionType.application_layer_protocol_negotiation, [decodeAlpn, decodeAlpnSelected]],
  [ExtensionType.record_size_limit, [decodeRecordSizeLimit]],
  [ExtensionType.compress_certificate, [decodeCompressCertificate]],
  [ExtensionType.pre_shared_key, [decodeOfferedPsks, decodePreSharedKeyServerHello]],
  [ExtensionType.early_data, [decodeEarlyDataTicket, (d) => decodeEmptyExtension(42, d)]],
  [
    ExtensionType.supported_versions,
    [decodeSupportedVersionsClient, decodeSupportedVersionsServer],
  ],
  [ExtensionType.cookie, [decodeCookie]],
  [ExtensionType.psk_key_exchange_modes, [decodePskKeyExchangeModes]],
  [ExtensionType.certificate_authorities, [decodeCertificateAuthorities]],
  [
    ExtensionType.key_share,
    [decodeKeyShareClientHello, decodeKeyShareServerHello, decodeKeyShareHelloRetryRequest],
  ],
  [ExtensionType.renegotiation_info, [decodeRenegotiationInfo]],
  [ExtensionType.encrypted_client_hello, [decodeEchClientHello, decodeEchHrrConfirmation]],
  [ExtensionType.ech_outer_extensions, [decodeOuterExtensions]],
]);

function decodeExtensionData(type: number, data: Uint8Array): void {
  for (const decode of EXTENSION_DECODERS.get(type) ?? [(d: Uint8Array) => d]) {
    attempt(() => decode(data));
  }
}

/** Runs every decoder of a handshake body of `type`, as client and server would. */
function decodeBody(type: number, body: Uint8Array, raw: Uint8Array): void {
  switch (type) {
    case HandshakeType.client_hello:
      attempt(() => {
        const ch = decodeClientHello(body);
        offersTls13(ch);
        checkAllowed(HandshakeType.client_hello, ch.extensions);
        for (const ext of ch.extensions) decodeExtensionData(ext.type, ext.data);
      });
      attempt(() => truncatedClientHelloLength(raw));
      break;
    case HandshakeType.server_hello:
      attempt(() => {
        const sh = decodeServerHello(body);
        for (const ext of sh.extensions) decodeExtensionData(ext.type, ext.data);
      });
      break;
    case HandshakeType.encrypted_extensions:
      attempt(() => {
        const ee = decodeEncryptedExtensions(body);
        for (const ext of ee.extensions) decodeExtensionData(ext.type, ext.data);
      });
      break;
    case HandshakeType.certificate:
      attempt(() => {
        for (const entry of decodeCertificate(body).entries) parseCertificate(entry.data);
      });
      attempt(() => decodeCertificate12(body));
      break;
    case HandshakeType.certificate_request:
      attempt(() => decodeCertificateRequest(body));
      attempt(() => decodeCertificateRequest12(body));
      break;
    case HandshakeType.certificate_verify:
      attempt(() => decodeCertificateVerify(body));
      break;
    case HandshakeType.finished:
      attempt(() => decodeFinished(body, 32));
      attempt(() => decodeFinished(body, 48));
      attempt(() => decodeFinished(body, 12));
      break;
    case HandshakeType.new_session_ticket:
      attempt(() => decodeNewSessionTicket(body));
      attempt(() => decodeNewSessionTicket12(body));
      break;
    case HandshakeType.end_of_early_data:
      attempt(() => decodeEndOfEarlyData(body));
      break;
    case HandshakeType.key_update:
      attempt(() => decodeKeyUpdate(body));
      break;
    case HandshakeType.compressed_certificate:
      attempt(() => decodeCompressedCertificate(body));
      break;
    case HandshakeType.server_key_exchange:
      attempt(() => decodeServerKeyExchange(body));
      break;
    case HandshakeType.client_key_exchange:
      attempt(() => decodeClientKeyExchange(body));
      break;
  }
}

/** A ClientHelloOuter for the ech-inner target: the extensions an inner hello may reference. */
const OUTER: ClientHello = {
  legacyVersion: 0x0303,
  random: new Uint8Array(32),
  legacySessionId: new Uint8Array(32).fill(7),
  cipherSuites: [0x1301],
  legacyCompressionMethods: new Uint8Array([0]),
  extensions: [0, 10, 13, 43, 45, 51, 0xfe0d].map((type) => ({
    type,
    data: new Uint8Array([type & 0xff]),
  })),
} as ClientHello;

/** Every target, by name. */
export const TARGETS: FuzzTarget[] = [
  {
    // A byte stream → records → handshake messages → message decoders.
    name: 'deframer',
    allowed: tlsOnly,
    run(input) {
      const deframer = new Deframer();
      const joiner = new HandshakeJoiner({ maxMessageSize: 1 << 14 });
      // The first byte chooses how the stream is cut into reads (1..256 bytes each).
      const step = (input[0] ?? 0) + 1;
      for (let at = 1; at < input.length; at += step) {
        deframer.push(input.subarray(at, at + step));
        for (let rec = deframer.next(); rec; rec = deframer.next()) {
          if (rec.type !== ContentType.handshake) continue;
          joiner.push(rec.fragment);
          for (let m = joiner.next(); m; m = joiner.next()) decodeBody(m.type, m.body, m.raw);
        }
      }
    },
  },
  {
    // One framed handshake message, through every decoder of its type.
    name: 'handshake',
    allowed: tlsOnly,
    run(input) {
      const m = decodeHandshake(input);
      decodeBody(m.type, m.body, m.raw);
    },
  },
  {
    // extension_type (u16) then extension_data.
    name: 'extensions',
    allowed: tlsOnly,
    run(input) {
      if (input.length < 2) return;
      decodeExtensionData((input[0] << 8) | input[1], input.subarray(2));
    },
  },
  { name: 'certificate', allowed: tlsOnly, run: (input) => void parseCertificate(input) },
  { name: 'crl', allowed: tlsOnly, run: (input) => void parseCrl(input) },
  {
    name: 'der',
    allowed: tlsOrDer,
    seedsFrom: ['certificate', 'crl'],
    run(input) {
      checkDer(input);
      const tlv = readTlv(input);
      const r = new DerReader(tlv.content);
      while (!r.done) r.read(r.peekTag());
    },
  },
  { name: 'ech-config', allowed: tlsOnly, run: (input) => void decodeEchConfigList(input) },
  { name: 'ech-inner', allowed: tlsOnly, run: (input) => void decodeInner(input, OUTER) },
  {
    name: 'dns',
    allowed: tlsOnly,
    run(input) {
      attempt(() => {
        for (const rr of decodeDnsResponse(input).answers) decodeSvcb(rr.rdata);
      });
      decodeSvcb(input);
    },
  },
  {
    name: 'sessions',
    allowed: tlsOnly,
    run(input) {
      decodeServerState(input);
      decodeStoredSession(input);
    },
  },
];

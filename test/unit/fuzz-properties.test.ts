/**
 * Property tests for every codec (fast-check, fixed seed): encoding a generated value and
 * decoding it gives the value back, and arbitrary bytes make each decoder return or throw a
 * TlsError, never a TypeError or RangeError. The TLS 1.3 message and extension decoders'
 * arbitrary-bytes properties are in msgs-fuzz.test.ts; this file adds their round trips and the
 * other parsers (records, TLS 1.2 messages, X.509, CRLs, DER, ECH, DNS, sessions, certificate
 * decompression). Runtime-neutral; the seed-corpus fuzzer is test/fuzz/ (docs/fuzzing.md).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CertCompressionAlgorithm } from '../../src/certcomp/algorithm.ts';
import { zlib } from '../../src/certcomp/zlib.ts';
import { zstd } from '../../src/certcomp/zstd.ts';
import {
  checkDer,
  DerError,
  decodeOid,
  decodeSmallInt,
  encodeOid,
  encodeSmallInt,
  encodeTlv,
  readOnly,
  readTlv,
} from '../../src/codec/der.ts';
import {
  decodeEchConfigList,
  type EchConfigContents,
  encodeEchConfig,
  encodeEchConfigList,
} from '../../src/ech/config.ts';
import { decodeDnsResponse, decodeSvcb } from '../../src/ech/dns.ts';
import { decodeInner, encodeInner } from '../../src/ech/inner.ts';
import { TlsError } from '../../src/error.ts';
import { decodeCertificate, encodeCertificate } from '../../src/msgs/certificate.ts';
import {
  decodeCertificateRequest,
  encodeCertificateRequest,
} from '../../src/msgs/certificate-request.ts';
import {
  decodeCertificateRequest12,
  encodeCertificateRequest12,
} from '../../src/msgs/certificate-request12.ts';
import {
  decodeCertificateVerify,
  encodeCertificateVerify,
} from '../../src/msgs/certificate-verify.ts';
import { decodeCertificate12, encodeCertificate12 } from '../../src/msgs/certificate12.ts';
import {
  type ClientHello,
  decodeClientHello,
  encodeClientHello,
} from '../../src/msgs/client-hello.ts';
import {
  decodeClientKeyExchange,
  encodeClientKeyExchange,
} from '../../src/msgs/client-key-exchange.ts';
import {
  decodeCompressedCertificate,
  encodeCompressedCertificate,
} from '../../src/msgs/compressed-certificate.ts';
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from '../../src/msgs/encrypted-extensions.ts';
import { ExtensionType } from '../../src/msgs/enums.ts';
import { decodeAlpn, encodeAlpn } from '../../src/msgs/extensions/alpn.ts';
import {
  decodeCertificateAuthorities,
  encodeCertificateAuthorities,
} from '../../src/msgs/extensions/certificate-authorities.ts';
import {
  decodeCompressCertificate,
  encodeCompressCertificate,
} from '../../src/msgs/extensions/compress-certificate.ts';
import { decodeCookie, encodeCookie } from '../../src/msgs/extensions/cookie.ts';
import {
  decodeEarlyDataTicket,
  encodeEarlyDataTicket,
} from '../../src/msgs/extensions/early-data.ts';
import {
  decodeEchClientHello,
  decodeEchHrrConfirmation,
  decodeOuterExtensions,
  encodeEchOuter,
  encodeOuterExtensions,
} from '../../src/msgs/extensions/ech.ts';
import {
  decodeExtensions,
  type Extension,
  encodeExtensions,
} from '../../src/msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  encodeKeyShareClientHello,
  encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello,
} from '../../src/msgs/extensions/key-share.ts';
import {
  decodeOfferedPsks,
  decodePreSharedKeyServerHello,
  encodeOfferedPsks,
  encodePreSharedKeyServerHello,
} from '../../src/msgs/extensions/pre-shared-key.ts';
import {
  decodePskKeyExchangeModes,
  encodePskKeyExchangeModes,
} from '../../src/msgs/extensions/psk-key-exchange-modes.ts';
import {
  decodeRecordSizeLimit,
  encodeRecordSizeLimit,
} from '../../src/msgs/extensions/record-size-limit.ts';
import {
  decodeRenegotiationInfo,
  encodeRenegotiationInfo,
} from '../../src/msgs/extensions/renegotiation-info.ts';
import { decodeServerName, encodeServerName } from '../../src/msgs/extensions/server-name.ts';
import {
  decodeSignatureSchemes,
  encodeSignatureSchemes,
} from '../../src/msgs/extensions/signature-algorithms.ts';
import {
  decodeSupportedGroups,
  encodeSupportedGroups,
} from '../../src/msgs/extensions/supported-groups.ts';
import {
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
  encodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
} from '../../src/msgs/extensions/supported-versions.ts';
import { decodeFinished, encodeFinished } from '../../src/msgs/finished.ts';
import { decodeHandshake, encodeHandshake } from '../../src/msgs/handshake.ts';
import { decodeKeyUpdate, encodeKeyUpdate } from '../../src/msgs/key-update.ts';
import {
  decodeNewSessionTicket,
  encodeNewSessionTicket,
} from '../../src/msgs/new-session-ticket.ts';
import {
  decodeNewSessionTicket12,
  encodeNewSessionTicket12,
} from '../../src/msgs/new-session-ticket12.ts';
import { decodeServerHello, encodeServerHello } from '../../src/msgs/server-hello.ts';
import {
  decodeServerKeyExchange,
  encodeServerKeyExchange,
} from '../../src/msgs/server-key-exchange.ts';
import { Deframer, MAX_CIPHERTEXT } from '../../src/record/deframer.ts';
import {
  decodeServerState,
  encodeServerState,
  type ServerSessionState,
} from '../../src/sessions/server-state.ts';
import {
  decodeStoredSession,
  encodeStoredSession,
  type StoredSession,
} from '../../src/sessions/stored-session.ts';
import { parseCrl } from '../../src/verify/crl.ts';
import { parseCertificate } from '../../src/verify/x509.ts';

/** One seed for the whole file, so a CI failure replays exactly. */
const SEED = 0x7e57f022;
const RUNS = 150;

beforeAll(() => {
  fc.configureGlobal({ seed: SEED, numRuns: RUNS });
});

// ---- Arbitraries for the wire structs ----

const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** A time in ms since the epoch that a u32 pair carries exactly. */
const timeMs = fc.integer({ min: 0, max: 2 ** 48 });

/** Extensions with distinct types (RFC 8446 §4.2), never of the types in `exclude`. */
const extensions = (exclude: readonly number[] = [], maxLength = 6) =>
  fc
    .uniqueArray(
      fc.record({
        type: u16.filter((t) => !exclude.includes(t)),
        data: bytes(0, 40),
      }),
      { selector: (e) => e.type, maxLength },
    )
    .map((list): Extension[] => list);

/** ASCII LDH host names (RFC 6066 §3 HostName, RFC 9460-style labels). */
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const hostName = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .map((labels) => `${labels.join('.')}.test`);

const keyShareEntry = fc.record({ group: u16, keyExchange: bytes(1, 70) });

const clientHello: fc.Arbitrary<ClientHello> = fc.record({
  legacyVersion: fc.constant(0x0303),
  random: bytes(32, 32),
  legacySessionId: bytes(0, 32),
  cipherSuites: fc.array(u16, { minLength: 1, maxLength: 20 }),
  legacyCompressionMethods: fc.constant(new Uint8Array([0])),
  // supported_versions would make it a TLS 1.3 hello whose checks random data fails.
  extensions: extensions([ExtensionType.supported_versions]),
});

/** Encodes, decodes and compares: the round-trip property of one codec pair. */
function roundTrip<T>(
  arb: fc.Arbitrary<T>,
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => unknown,
  expected: (v: T) => unknown = (v) => v,
): void {
  fc.assert(
    fc.property(arb, (v) => {
      expect(decode(encode(v))).toEqual(expected(v));
    }),
  );
}

// ---- Round trips ----

describe('round trips: handshake messages', () => {
  it('Handshake framing', () =>
    roundTrip(
      fc.record({ type: u8, body: bytes(0, 200) }),
      (m) => encodeHandshake(m.type, m.body),
      (raw) => {
        const m = decodeHandshake(raw);
        return { type: m.type, body: m.body };
      },
    ));
  it('ClientHello', () => roundTrip(clientHello, encodeClientHello, decodeClientHello));
  it('ServerHello', () =>
    roundTrip(
      fc.record({
        legacyVersion: fc.constant(0x0303),
        random: bytes(32, 32),
        legacySessionId: bytes(0, 32),
        cipherSuite: u16,
        legacyCompressionMethod: fc.constant(0),
        extensions: extensions(),
      }),
      encodeServerHello,
      decodeServerHello,
    ));
  it('EncryptedExtensions', () =>
    roundTrip(
      fc.record({ extensions: extensions() }),
      encodeEncryptedExtensions,
      decodeEncryptedExtensions,
    ));
  it('Certificate (TLS 1.3)', () =>
    roundTrip(
      fc.record({
        context: bytes(0, 16),
        entries: fc.array(fc.record({ data: bytes(1, 80), extensions: extensions([], 2) }), {
          maxLength: 4,
        }),
      }),
      encodeCertificate,
      decodeCertificate,
    ));
  it('CertificateRequest (TLS 1.3, with signature_algorithms)', () =>
    roundTrip(
      fc.record({
        context: bytes(0, 16),
        extensions: extensions([ExtensionType.signature_algorithms]).map((exts) => [
          { type: ExtensionType.signature_algorithms, data: new Uint8Array([0, 2, 4, 3]) },
          ...exts,
        ]),
      }),
      encodeCertificateRequest,
      decodeCertificateRequest,
    ));
  it('CertificateVerify', () =>
    roundTrip(
      fc.record({ algorithm: u16, signature: bytes(0, 120) }),
      encodeCertificateVerify,
      decodeCertificateVerify,
    ));
  it('Finished', () => roundTrip(bytes(32, 32), encodeFinished, (b) => decodeFinished(b, 32)));
  it('NewSessionTicket (TLS 1.3)', () =>
    roundTrip(
      fc.record({
        lifetime: u32,
        ageAdd: u32,
        nonce: bytes(0, 32),
        ticket: bytes(1, 100),
        extensions: extensions(),
      }),
      encodeNewSessionTicket,
      decodeNewSessionTicket,
    ));
  it('KeyUpdate', () =>
    roundTrip(
      fc.record({ requestUpdate: fc.constantFrom(0, 1) }),
      encodeKeyUpdate,
      decodeKeyUpdate,
    ));
  it('CompressedCertificate', () =>
    roundTrip(
      fc.record({
        algorithm: u16,
        uncompressedLength: fc.integer({ min: 0, max: 0xffffff }),
        compressed: bytes(1, 100),
      }),
      encodeCompressedCertificate,
      decodeCompressedCertificate,
    ));
  it('Certificate (TLS 1.2)', () =>
    roundTrip(fc.array(bytes(1, 80), { maxLength: 4 }), encodeCertificate12, decodeCertificate12));
  it('CertificateRequest (TLS 1.2)', () =>
    roundTrip(
      fc.record({
        certificateTypes: fc.array(u8, { minLength: 1, maxLength: 4 }),
        schemes: fc.array(u16, { minLength: 1, maxLength: 8 }),
        authorities: fc.array(bytes(1, 40), { maxLength: 3 }),
      }),
      encodeCertificateRequest12,
      decodeCertificateRequest12,
    ));
  it('NewSessionTicket (TLS 1.2)', () =>
    roundTrip(
      fc.record({ lifetimeHint: u32, ticket: bytes(0, 100) }),
      encodeNewSessionTicket12,
      decodeNewSessionTicket12,
    ));
  it('ServerKeyExchange (ECDHE)', () =>
    roundTrip(
      fc.record({ group: u16, publicKey: bytes(1, 97), scheme: u16, signature: bytes(0, 100) }),
      encodeServerKeyExchange,
      (b) => {
        const { params: _params, ...ske } = decodeServerKeyExchange(b);
        return ske;
      },
    ));
  it('ClientKeyExchange (ECDHE)', () =>
    roundTrip(bytes(1, 97), encodeClientKeyExchange, decodeClientKeyExchange));
});

describe('round trips: extensions', () => {
  it('extensions block', () => roundTrip(extensions(), encodeExtensions, decodeExtensions));
  it('server_name', () => roundTrip(hostName, encodeServerName, decodeServerName));
  it('supported_groups', () =>
    roundTrip(
      fc.array(u16, { minLength: 1, maxLength: 20 }),
      encodeSupportedGroups,
      decodeSupportedGroups,
    ));
  it('signature_algorithms', () =>
    roundTrip(
      fc.array(u16, { minLength: 1, maxLength: 20 }),
      encodeSignatureSchemes,
      decodeSignatureSchemes,
    ));
  it('application_layer_protocol_negotiation', () =>
    roundTrip(fc.array(bytes(1, 20), { minLength: 1, maxLength: 5 }), encodeAlpn, decodeAlpn));
  it('supported_versions (client and server)', () => {
    roundTrip(
      fc.array(u16, { minLength: 1, maxLength: 10 }),
      encodeSupportedVersionsClient,
      decodeSupportedVersionsClient,
    );
    roundTrip(u16, encodeSupportedVersionsServer, decodeSupportedVersionsServer);
  });
  it('key_share (ClientHello, ServerHello, HelloRetryRequest)', () => {
    roundTrip(
      fc.uniqueArray(keyShareEntry, { selector: (e) => e.group, maxLength: 4 }),
      encodeKeyShareClientHello,
      decodeKeyShareClientHello,
    );
    roundTrip(keyShareEntry, encodeKeyShareServerHello, decodeKeyShareServerHello);
    roundTrip(u16, encodeKeyShareHelloRetryRequest, decodeKeyShareHelloRetryRequest);
  });
  it('pre_shared_key (offered and selected)', () => {
    roundTrip(
      fc.integer({ min: 1, max: 4 }).chain((n) =>
        fc.record({
          identities: fc.array(fc.record({ identity: bytes(1, 40), obfuscatedTicketAge: u32 }), {
            minLength: n,
            maxLength: n,
          }),
          binders: fc.array(bytes(32, 48), { minLength: n, maxLength: n }),
        }),
      ),
      encodeOfferedPsks,
      decodeOfferedPsks,
    );
    roundTrip(u16, encodePreSharedKeyServerHello, decodePreSharedKeyServerHello);
  });
  it('cookie', () => roundTrip(bytes(1, 100), encodeCookie, decodeCookie));
  it('psk_key_exchange_modes', () =>
    roundTrip(
      fc.array(u8, { minLength: 1, maxLength: 4 }),
      encodePskKeyExchangeModes,
      decodePskKeyExchangeModes,
    ));
  it('early_data (NewSessionTicket)', () =>
    roundTrip(u32, encodeEarlyDataTicket, decodeEarlyDataTicket));
  it('record_size_limit', () =>
    roundTrip(fc.integer({ min: 64, max: 0xffff }), encodeRecordSizeLimit, decodeRecordSizeLimit));
  it('compress_certificate', () =>
    roundTrip(
      fc.array(u16, { minLength: 1, maxLength: 10 }),
      encodeCompressCertificate,
      decodeCompressCertificate,
    ));
  it('renegotiation_info', () =>
    roundTrip(bytes(0, 24), encodeRenegotiationInfo, decodeRenegotiationInfo));
  it('certificate_authorities', () =>
    roundTrip(
      fc.array(bytes(1, 40), { minLength: 1, maxLength: 4 }),
      encodeCertificateAuthorities,
      decodeCertificateAuthorities,
    ));
  it('encrypted_client_hello (outer) and ech_outer_extensions', () => {
    roundTrip(
      fc.record({
        kdfId: u16,
        aeadId: u16,
        configId: u8,
        enc: bytes(0, 40),
        payload: bytes(1, 80),
      }),
      encodeEchOuter,
      decodeEchClientHello,
      (v) => ({ type: 0, ...v }),
    );
    roundTrip(
      fc.array(u16, { minLength: 1, maxLength: 10 }),
      encodeOuterExtensions,
      decodeOuterExtensions,
    );
  });
});

describe('round trips: ECH, DER and sessions', () => {
  const echContents: fc.Arbitrary<EchConfigContents> = fc
    .record({
      configId: u8,
      kemId: u16,
      publicKey: bytes(1, 64),
      cipherSuites: fc.array(fc.record({ kdfId: u16, aeadId: u16 }), {
        minLength: 1,
        maxLength: 4,
      }),
      maximumNameLength: u8,
      publicName: hostName,
      // Mandatory-bit extensions make a client ignore the config (§4.2); none here.
      extensions: extensions().map((exts) => exts.map((e) => ({ ...e, type: e.type & 0x7fff }))),
    })
    .filter((c) => new Set(c.extensions.map((e) => e.type)).size === c.extensions.length);

  it('ECHConfigList', () =>
    roundTrip(
      fc.array(echContents, { minLength: 1, maxLength: 3 }),
      (list) => encodeEchConfigList(list.map(encodeEchConfig)),
      (b) => decodeEchConfigList(b).map((c) => c.contents),
    ));

  it('EncodedClientHelloInner against its outer hello', () => {
    // The inner hello's compressed extensions are copied from the outer one, in its order.
    const arb = fc.record({ inner: clientHello, cut: fc.nat(6), name: hostName });
    fc.assert(
      fc.property(arb, ({ inner, cut, name }) => {
        const compress = inner.extensions
          .slice(0, Math.min(cut, inner.extensions.length))
          .map((e) => e.type);
        const outer = { ...inner, legacySessionId: new Uint8Array(32).fill(9) };
        const encoded = encodeInner(inner, compress, 64, name);
        expect(encoded.length % 32).toBe(0);
        expect(decodeInner(encoded, outer)).toEqual(outer);
      }),
    );
  });

  it('DER: TLV, OBJECT IDENTIFIER, small INTEGER', () => {
    roundTrip(
      fc.record({ tag: fc.constantFrom(0x04, 0x30, 0x31, 0xa0, 0x0c), content: bytes(0, 300) }),
      (t) => encodeTlv(t.tag, t.content),
      (b) => {
        const tlv = readOnly(b);
        return { tag: tlv.tag, content: tlv.content };
      },
    );
    const oid = fc
      .tuple(fc.constantFrom(0, 1, 2), fc.nat(39), fc.array(fc.nat(2 ** 31), { maxLength: 6 }))
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    roundTrip(oid, encodeOid, (b) => decodeOid(readOnly(b).content));
    roundTrip(fc.integer({ min: 0, max: 0x7fffffff }), encodeSmallInt, (b) =>
      decodeSmallInt(readTlv(b)),
    );
  });

  it('StoredSession', () => {
    const session: fc.Arbitrary<StoredSession> = fc.record({
      version: fc.constantFrom(0x0303, 0x0304),
      cipherSuite: u16,
      secret: bytes(1, 48),
      ticket: fc.option(bytes(1, 100), { nil: undefined }),
      sessionId: fc.option(bytes(1, 32), { nil: undefined }),
      receivedAt: timeMs,
      lifetime: u32,
      ageAdd: u32,
      maxEarlyData: u32,
      alpn: fc.option(hostName, { nil: undefined }),
      extendedMasterSecret: fc.boolean(),
      serverName: hostName,
      peerCertificates: fc.array(bytes(1, 60), { maxLength: 3 }),
    });
    roundTrip(session, encodeStoredSession, decodeStoredSession);
  });

  it('ServerSessionState (ticket plaintext)', () => {
    const state: fc.Arbitrary<ServerSessionState> = fc.record({
      version: fc.constantFrom(0x0303, 0x0304),
      cipherSuite: u16,
      secret: bytes(1, 48),
      extendedMasterSecret: fc.boolean(),
      createdAt: timeMs,
      serverName: fc.option(hostName, { nil: undefined }),
      alpn: fc.option(hostName, { nil: undefined }),
      issuedAt: timeMs,
      ageAdd: u32,
      maxEarlyData: u32,
    });
    roundTrip(state, encodeServerState, decodeServerState);
  });
});

// ---- Arbitrary bytes: only the documented error ----

/** Runs `fn`; true when it returned or threw an allowed error; rethrows anything else. */
function onlyAllowed(
  fn: () => unknown,
  allowed: (e: unknown) => boolean = (e) => e instanceof TlsError,
): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (allowed(e)) return true;
    throw e;
  }
}

/** Arbitrary bytes, and DER-shaped ones (a SEQUENCE header before random content). */
const input = fc.oneof(
  bytes(0, 300),
  bytes(0, 300).map((b) => encodeTlv(0x30, b)),
  fc
    .array(bytes(0, 60), { maxLength: 4 })
    .map((parts) => encodeTlv(0x30, ...parts.map((p) => encodeTlv(0x30, p)))),
);

const decoders: Record<string, (b: Uint8Array) => unknown> = {
  parseCertificate,
  parseCrl,
  decodeEchConfigList,
  decodeInner: (b) => decodeInner(b, decodeClientHello(encodeClientHello(sampleOuter))),
  decodeDnsResponse,
  decodeSvcb,
  decodeStoredSession,
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeNewSessionTicket12,
  decodeServerKeyExchange,
  decodeClientKeyExchange,
  decodeEchClientHello,
  decodeEchHrrConfirmation,
  decodeOuterExtensions,
};

const sampleOuter: ClientHello = {
  legacyVersion: 0x0303,
  random: new Uint8Array(32),
  legacySessionId: new Uint8Array(32),
  cipherSuites: [0x1301],
  legacyCompressionMethods: new Uint8Array([0]),
  extensions: [0, 10, 13, 51].map((type) => ({ type, data: new Uint8Array([1]) })),
};

describe('arbitrary bytes raise only TlsError', () => {
  for (const [name, decode] of Object.entries(decoders)) {
    it(name, () => {
      fc.assert(
        fc.property(input, (b) => onlyAllowed(() => decode(b))),
        { numRuns: 500 },
      );
    });
  }

  it('decodeServerState returns undefined instead of throwing', () => {
    fc.assert(
      fc.property(input, (b) => {
        const s = decodeServerState(b);
        expect(s === undefined || typeof s.version === 'number').toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('DER codec: only DerError (the certificate and CRL parsers turn it into TlsError)', () => {
    fc.assert(
      fc.property(input, (b) =>
        onlyAllowed(
          () => {
            checkDer(b);
            readOnly(b);
          },
          (e) => e instanceof DerError,
        ),
      ),
      { numRuns: 300 },
    );
  });

  it('Deframer: any split of any stream, bounded buffering', () => {
    fc.assert(
      fc.property(fc.array(bytes(0, 400), { maxLength: 12 }), (chunks) =>
        onlyAllowed(() => {
          const d = new Deframer();
          for (const c of chunks) {
            d.push(c);
            for (let r = d.next(); r; r = d.next()) {
              expect(r.fragment.length).toBeLessThanOrEqual(MAX_CIPHERTEXT);
            }
            // At most one incomplete record (header + body) plus one call's bytes stays.
            expect(d.pending).toBeLessThanOrEqual(5 + MAX_CIPHERTEXT + c.length);
          }
        }),
      ),
      { numRuns: 300 },
    );
  });
});

describe('certificate decompression: arbitrary input is BAD_CERTIFICATE', () => {
  const algorithms: [string, CertCompressionAlgorithm][] = [
    ['zlib', zlib],
    ['zstd', zstd()],
  ];
  for (const [name, algorithm] of algorithms) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(bytes(1, 200), fc.integer({ min: 1, max: 4096 }), async (b, n) => {
          try {
            const out = await algorithm.decompress(b, n);
            expect(out.length).toBe(n);
          } catch (e) {
            expect(e).toBeInstanceOf(TlsError);
            expect((e as TlsError).code).toBe('BAD_CERTIFICATE');
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});

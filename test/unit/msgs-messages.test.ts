import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import {
  type Certificate,
  decodeCertificate,
  encodeCertificate,
} from '../../src/msgs/certificate.ts';
import {
  decodeCertificateRequest,
  encodeCertificateRequest,
} from '../../src/msgs/certificate-request.ts';
import {
  decodeCertificateVerify,
  encodeCertificateVerify,
} from '../../src/msgs/certificate-verify.ts';
import {
  type ClientHello,
  checkClientHelloMandatory,
  decodeClientHello,
  encodeClientHello,
  offersTls13,
} from '../../src/msgs/client-hello.ts';
import {
  decodeCompressedCertificate,
  encodeCompressedCertificate,
} from '../../src/msgs/compressed-certificate.ts';
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from '../../src/msgs/encrypted-extensions.ts';
import { decodeEndOfEarlyData, encodeEndOfEarlyData } from '../../src/msgs/end-of-early-data.ts';
import { CipherSuite, ExtensionType, NamedGroup, SignatureScheme } from '../../src/msgs/enums.ts';
import { encodeKeyShareServerHello } from '../../src/msgs/extensions/key-share.ts';
import { encodeSignatureSchemes } from '../../src/msgs/extensions/signature-algorithms.ts';
import { encodeSupportedVersionsServer } from '../../src/msgs/extensions/supported-versions.ts';
import { decodeFinished, encodeFinished } from '../../src/msgs/finished.ts';
import { decodeKeyUpdate, encodeKeyUpdate } from '../../src/msgs/key-update.ts';
import {
  decodeNewSessionTicket,
  encodeNewSessionTicket,
  type NewSessionTicket,
} from '../../src/msgs/new-session-ticket.ts';
import {
  DOWNGRADE_TLS11_SENTINEL,
  DOWNGRADE_TLS12_SENTINEL,
  decodeServerHello,
  downgradeSentinel,
  encodeServerHello,
  HELLO_RETRY_REQUEST_RANDOM,
  isHelloRetryRequest,
  type ServerHello,
} from '../../src/msgs/server-hello.ts';
import { concat, fromHex, toHex } from '../../src/util/bytes.ts';
import { expectTlsError, sampleClientHello, seq } from './msgs-helpers.ts';

const h = fromHex;

/** Every proper prefix of a valid body fails with a TlsError, never anything else. */
function expectEveryPrefixRejected(body: Uint8Array, decode: (b: Uint8Array) => unknown): void {
  for (let n = 0; n < body.length; n++) {
    let caught: unknown;
    try {
      decode(body.subarray(0, n));
    } catch (e) {
      caught = e;
    }
    expect(caught, `prefix of ${n} bytes`).toBeInstanceOf(TlsError);
  }
}

function sampleServerHello(): ServerHello {
  return {
    legacyVersion: 0x0303,
    random: seq(32, 0x20),
    legacySessionId: seq(32, 0xc0),
    cipherSuite: CipherSuite.TLS_AES_256_GCM_SHA384,
    legacyCompressionMethod: 0,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0x0304) },
      {
        type: ExtensionType.key_share,
        data: encodeKeyShareServerHello({ group: NamedGroup.x25519, keyExchange: seq(32) }),
      },
    ],
  };
}

describe('ClientHello (RFC 8446 §4.1.2)', () => {
  const ch = sampleClientHello(true);
  const body = encodeClientHello(ch);

  it('round-trips every field, GREASE included', () => {
    const back = decodeClientHello(body);
    expect(back).toEqual(ch);
    expect(encodeClientHello(back)).toEqual(body);
    expect(back.cipherSuites[0]).toBe(0x4a4a);
    expect(back.extensions[0].type).toBe(0x0a0a);
    expect(offersTls13(back)).toBe(true);
  });

  it('rejects every truncation with a TlsError', () => {
    // A prefix that ends right after legacy_compression_methods is a valid extension-less
    // TLS 1.2 hello; every other prefix must fail.
    const fixedEnd = 2 + 32 + 1 + 32 + 2 + 2 * ch.cipherSuites.length + 2;
    for (let n = 0; n < body.length; n++) {
      if (n === fixedEnd) {
        expect(decodeClientHello(body.subarray(0, n)).extensions).toEqual([]);
        continue;
      }
      let caught: unknown;
      try {
        decodeClientHello(body.subarray(0, n));
      } catch (e) {
        caught = e;
      }
      expect(caught, `prefix of ${n} bytes`).toBeInstanceOf(TlsError);
      expect((caught as TlsError).code).toBe('DECODE_ERROR');
    }
  });

  it('rejects trailing data', () => {
    expectTlsError(() => decodeClientHello(concat(body, h('00'))), 'DECODE_ERROR');
  });

  it('bounds legacy_session_id, cipher_suites and compression methods', () => {
    const base = { ...ch, extensions: [] };
    // legacy_session_id<0..32>: 33 bytes.
    const sid33 = concat(h('0303'), seq(32), h('21'), seq(33), h('00021301'), h('0100'));
    expectTlsError(() => decodeClientHello(sid33), 'DECODE_ERROR');
    // cipher_suites<2..2^16-2>: empty, and odd.
    const noSuites = concat(h('0303'), seq(32), h('00'), h('0000'), h('0100'));
    expectTlsError(() => decodeClientHello(noSuites), 'DECODE_ERROR');
    const oddSuites = concat(h('0303'), seq(32), h('00'), h('000313010a'), h('0100'));
    expectTlsError(() => decodeClientHello(oddSuites), 'DECODE_ERROR');
    // legacy_compression_methods<1..2^8-1>: empty.
    const noComp = concat(h('0303'), seq(32), h('00'), h('00021301'), h('00'));
    expectTlsError(() => decodeClientHello(noComp), 'DECODE_ERROR');
    expectTlsError(() => encodeClientHello({ ...base, cipherSuites: [] }), 'INTERNAL_ERROR');
    expectTlsError(
      () => encodeClientHello({ ...base, legacySessionId: seq(33) }),
      'INTERNAL_ERROR',
    );
    expectTlsError(() => encodeClientHello({ ...base, random: seq(31) }), 'INTERNAL_ERROR');
  });

  it('requires compression methods of exactly [0] when TLS 1.3 is offered', () => {
    for (const methods of [h('01'), h('0100'), h('0001')]) {
      const bad = encodeClientHello({ ...ch, legacyCompressionMethods: methods });
      expectTlsError(() => decodeClientHello(bad), 'ILLEGAL_PARAMETER');
    }
    // A TLS 1.2-only hello may list other methods; the TLS 1.2 code negotiates null.
    const tls12 = encodeClientHello({
      ...ch,
      legacyCompressionMethods: h('0100'),
      extensions: ch.extensions.filter((e) => e.type !== ExtensionType.supported_versions),
    });
    expect(decodeClientHello(tls12).legacyCompressionMethods).toEqual(h('0100'));
  });

  it('rejects duplicate extensions', () => {
    const dup = encodeClientHello({
      ...ch,
      extensions: [...ch.extensions.slice(0, 3), ch.extensions[1]],
    });
    expectTlsError(() => decodeClientHello(dup), 'ILLEGAL_PARAMETER');
  });

  it('decodes a hello without an extensions block, and with an empty one', () => {
    const bare: ClientHello = { ...ch, extensions: [] };
    const enc = encodeClientHello(bare);
    expect(enc.length).toBe(2 + 32 + 33 + 8 + 2);
    expect(decodeClientHello(enc)).toEqual(bare);
    expect(decodeClientHello(concat(enc, h('0000'))).extensions).toEqual([]);
    // One stray byte where the block would start is not a block.
    expectTlsError(() => decodeClientHello(concat(enc, h('00'))), 'DECODE_ERROR');
  });

  it('checks the §9.2 mandatory extensions', () => {
    const without = (...types: number[]) => ({
      ...ch,
      extensions: ch.extensions.filter((e) => !types.includes(e.type)),
    });
    expect(() => checkClientHelloMandatory(ch)).not.toThrow();
    expect(() => checkClientHelloMandatory(without(ExtensionType.pre_shared_key))).not.toThrow();
    const noSig = without(ExtensionType.pre_shared_key, ExtensionType.signature_algorithms);
    expectTlsError(() => checkClientHelloMandatory(noSig), 'MISSING_EXTENSION');
    const noGroups = without(ExtensionType.pre_shared_key, ExtensionType.supported_groups);
    expectTlsError(() => checkClientHelloMandatory(noGroups), 'MISSING_EXTENSION');
    expectTlsError(
      () => checkClientHelloMandatory(without(ExtensionType.key_share)),
      'MISSING_EXTENSION',
    );
    const noModes = without(ExtensionType.psk_key_exchange_modes);
    expectTlsError(() => checkClientHelloMandatory(noModes), 'MISSING_EXTENSION');
    // PSK-only: neither groups nor key shares nor signature algorithms are needed.
    const pskOnly = without(
      ExtensionType.signature_algorithms,
      ExtensionType.supported_groups,
      ExtensionType.key_share,
    );
    expect(() => checkClientHelloMandatory(pskOnly)).not.toThrow();
  });
});

describe('ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4)', () => {
  const sh = sampleServerHello();
  const body = encodeServerHello(sh);

  it('round-trips and is not a HelloRetryRequest', () => {
    const back = decodeServerHello(body);
    expect(back).toEqual(sh);
    expect(encodeServerHello(back)).toEqual(body);
    expect(isHelloRetryRequest(back)).toBe(false);
  });

  it('detects a HelloRetryRequest by its random', () => {
    expect(toHex(HELLO_RETRY_REQUEST_RANDOM)).toBe(
      'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
    );
    const hrr = decodeServerHello(encodeServerHello({ ...sh, random: HELLO_RETRY_REQUEST_RANDOM }));
    expect(isHelloRetryRequest(hrr)).toBe(true);
    const almost = HELLO_RETRY_REQUEST_RANDOM.slice();
    almost[31] ^= 1;
    expect(isHelloRetryRequest({ ...hrr, random: almost })).toBe(false);
  });

  it('reports downgrade sentinels', () => {
    expect(downgradeSentinel(concat(seq(24), DOWNGRADE_TLS12_SENTINEL))).toBe('tls12');
    expect(downgradeSentinel(concat(seq(24), DOWNGRADE_TLS11_SENTINEL))).toBe('tls11');
    expect(toHex(DOWNGRADE_TLS12_SENTINEL)).toBe('444f574e47524401');
    expect(downgradeSentinel(seq(32))).toBeUndefined();
  });

  it('rejects every truncation and trailing data', () => {
    const fixedEnd = 2 + 32 + 33 + 2 + 1;
    for (let n = 0; n < body.length; n++) {
      if (n === fixedEnd) continue; // a TLS 1.2 hello without extensions
      expect(() => decodeServerHello(body.subarray(0, n)), `prefix ${n}`).toThrow(TlsError);
    }
    expectTlsError(() => decodeServerHello(concat(body, h('00'))), 'DECODE_ERROR');
  });

  it('rejects a non-null compression method and a session id over 32 bytes', () => {
    expectTlsError(
      () => decodeServerHello(encodeServerHello({ ...sh, legacyCompressionMethod: 1 })),
      'ILLEGAL_PARAMETER',
    );
    const long = concat(h('0303'), seq(32), h('21'), seq(33), h('130100'));
    expectTlsError(() => decodeServerHello(long), 'DECODE_ERROR');
  });

  it('decodes a TLS 1.2 ServerHello without extensions', () => {
    const tls12: ServerHello = {
      ...sh,
      legacyVersion: 0x0303,
      cipherSuite: 0xc02f,
      extensions: [],
    };
    expect(decodeServerHello(encodeServerHello(tls12))).toEqual(tls12);
  });

  it('rejects duplicate extensions', () => {
    const dup = encodeServerHello({ ...sh, extensions: [...sh.extensions, sh.extensions[0]] });
    expectTlsError(() => decodeServerHello(dup), 'ILLEGAL_PARAMETER');
  });
});

describe('EncryptedExtensions (RFC 8446 §4.3.1)', () => {
  it('round-trips, including an empty list', () => {
    const ee = { extensions: [{ type: ExtensionType.server_name, data: new Uint8Array(0) }] };
    const body = encodeEncryptedExtensions(ee);
    expect(toHex(body)).toBe('000400000000');
    expect(decodeEncryptedExtensions(body)).toEqual(ee);
    expect(decodeEncryptedExtensions(h('0000'))).toEqual({ extensions: [] });
    expectEveryPrefixRejected(body, decodeEncryptedExtensions);
    expectTlsError(() => decodeEncryptedExtensions(h('000000')), 'DECODE_ERROR');
    expectTlsError(() => decodeEncryptedExtensions(h('')), 'DECODE_ERROR');
  });
});

describe('Certificate (RFC 8446 §4.4.2)', () => {
  const cert: Certificate = {
    context: h('0102'),
    entries: [
      { data: seq(500), extensions: [{ type: ExtensionType.status_request, data: seq(20) }] },
      { data: seq(300, 9), extensions: [] },
    ],
  };

  it('round-trips entries with per-entry extensions', () => {
    const body = encodeCertificate(cert);
    expect(decodeCertificate(body)).toEqual(cert);
    expect(decodeCertificate(h('00000000'))).toEqual({ context: h(''), entries: [] });
    expectEveryPrefixRejected(body, decodeCertificate);
    expectTlsError(() => decodeCertificate(concat(body, h('00'))), 'DECODE_ERROR');
  });

  it('rejects an empty cert_data and duplicate entry extensions', () => {
    expectTlsError(() => decodeCertificate(h('00' + '000005' + '000000' + '0000')), 'DECODE_ERROR');
    const dup = encodeCertificate({
      context: h(''),
      entries: [
        {
          data: seq(3),
          extensions: [cert.entries[0].extensions[0], cert.entries[0].extensions[0]],
        },
      ],
    });
    expectTlsError(() => decodeCertificate(dup), 'ILLEGAL_PARAMETER');
    expectTlsError(() => encodeCertificate({ context: seq(256), entries: [] }), 'INTERNAL_ERROR');
    expectTlsError(
      () => encodeCertificate({ context: h(''), entries: [{ data: h(''), extensions: [] }] }),
      'INTERNAL_ERROR',
    );
  });
});

describe('CertificateVerify (RFC 8446 §4.4.3)', () => {
  it('round-trips and rejects truncation and trailing data', () => {
    const cv = { algorithm: SignatureScheme.rsa_pss_rsae_sha256, signature: seq(256) };
    const body = encodeCertificateVerify(cv);
    expect(toHex(body.subarray(0, 4))).toBe('08040100');
    expect(decodeCertificateVerify(body)).toEqual(cv);
    expectEveryPrefixRejected(body, decodeCertificateVerify);
    expectTlsError(() => decodeCertificateVerify(concat(body, h('00'))), 'DECODE_ERROR');
  });
});

describe('Finished (RFC 8446 §4.4.4)', () => {
  it('round-trips verify_data of the hash length and rejects other lengths', () => {
    const vd = seq(48);
    expect(decodeFinished(encodeFinished(vd), 48)).toEqual(vd);
    expectTlsError(() => decodeFinished(seq(32), 48), 'DECODE_ERROR');
    expectTlsError(() => decodeFinished(seq(33), 32), 'DECODE_ERROR');
    expectTlsError(() => decodeFinished(h(''), 32), 'DECODE_ERROR');
  });
});

describe('NewSessionTicket (RFC 8446 §4.6.1)', () => {
  const nst: NewSessionTicket = {
    lifetime: 604800,
    ageAdd: 0xdeadbeef,
    nonce: h('00'),
    ticket: seq(100),
    extensions: [{ type: ExtensionType.early_data, data: h('00004000') }],
  };

  it('round-trips and rejects truncation, trailing data and an empty ticket', () => {
    const body = encodeNewSessionTicket(nst);
    expect(decodeNewSessionTicket(body)).toEqual(nst);
    expectEveryPrefixRejected(body, decodeNewSessionTicket);
    expectTlsError(() => decodeNewSessionTicket(concat(body, h('00'))), 'DECODE_ERROR');
    const emptyTicket = h('00000001' + '00000000' + '00' + '0000' + '0000');
    expectTlsError(() => decodeNewSessionTicket(emptyTicket), 'DECODE_ERROR');
    expectTlsError(() => encodeNewSessionTicket({ ...nst, nonce: seq(256) }), 'INTERNAL_ERROR');
  });

  it('caps the extensions block at 2^16-2', () => {
    const big = concat(
      h('00000001' + '00000000' + '00' + '000101' + 'ffff'),
      new Uint8Array(0xffff),
    );
    expectTlsError(() => decodeNewSessionTicket(big), 'DECODE_ERROR');
  });
});

describe('EndOfEarlyData (RFC 8446 §4.5)', () => {
  it('is empty', () => {
    expect(encodeEndOfEarlyData().length).toBe(0);
    expect(() => decodeEndOfEarlyData(h(''))).not.toThrow();
    expectTlsError(() => decodeEndOfEarlyData(h('00')), 'DECODE_ERROR');
  });
});

describe('KeyUpdate (RFC 8446 §4.6.3)', () => {
  it('accepts 0 and 1 only', () => {
    expect(decodeKeyUpdate(encodeKeyUpdate({ requestUpdate: 1 }))).toEqual({ requestUpdate: 1 });
    expect(decodeKeyUpdate(h('00'))).toEqual({ requestUpdate: 0 });
    expectTlsError(() => decodeKeyUpdate(h('02')), 'ILLEGAL_PARAMETER');
    expectTlsError(() => decodeKeyUpdate(h('ff')), 'ILLEGAL_PARAMETER');
    expectTlsError(() => decodeKeyUpdate(h('')), 'DECODE_ERROR');
    expectTlsError(() => decodeKeyUpdate(h('0000')), 'DECODE_ERROR');
  });
});

describe('CertificateRequest (RFC 8446 §4.3.2)', () => {
  const sigs = { type: ExtensionType.signature_algorithms, data: encodeSignatureSchemes([0x0804]) };

  it('round-trips', () => {
    const cr = { context: seq(8), extensions: [sigs, { type: 0xeaea, data: h('') }] };
    const body = encodeCertificateRequest(cr);
    expect(decodeCertificateRequest(body)).toEqual(cr);
    expectEveryPrefixRejected(body, decodeCertificateRequest);
    expectTlsError(() => decodeCertificateRequest(concat(body, h('00'))), 'DECODE_ERROR');
  });

  it('requires signature_algorithms and a non-empty extensions block', () => {
    const noSigs = encodeCertificateRequest({
      context: h(''),
      extensions: [{ type: 0xeaea, data: h('') }],
    });
    expectTlsError(() => decodeCertificateRequest(noSigs), 'MISSING_EXTENSION');
    expectTlsError(() => decodeCertificateRequest(h('00' + '0000')), 'DECODE_ERROR');
    expectTlsError(
      () => encodeCertificateRequest({ context: h(''), extensions: [] }),
      'INTERNAL_ERROR',
    );
  });
});

describe('CompressedCertificate (RFC 8879 §4)', () => {
  it('round-trips and enforces a non-empty compressed message', () => {
    const cc = { algorithm: 2, uncompressedLength: 0x012345, compressed: seq(77) };
    const body = encodeCompressedCertificate(cc);
    expect(toHex(body.subarray(0, 8))).toBe('000201234500004d');
    expect(decodeCompressedCertificate(body)).toEqual(cc);
    expectEveryPrefixRejected(body, decodeCompressedCertificate);
    expectTlsError(() => decodeCompressedCertificate(concat(body, h('00'))), 'DECODE_ERROR');
    expectTlsError(
      () => decodeCompressedCertificate(h('0001' + '000010' + '000000')),
      'DECODE_ERROR',
    );
    expectTlsError(
      () => encodeCompressedCertificate({ ...cc, compressed: h('') }),
      'INTERNAL_ERROR',
    );
  });
});

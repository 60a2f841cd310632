import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { decodeCertificate } from '../../src/msgs/certificate.ts';
import { decodeCertificateVerify } from '../../src/msgs/certificate-verify.ts';
import {
  checkClientHelloMandatory,
  decodeClientHello,
  encodeClientHello,
  offersTls13,
} from '../../src/msgs/client-hello.ts';
import { decodeEncryptedExtensions } from '../../src/msgs/encrypted-extensions.ts';
import { decodeEndOfEarlyData } from '../../src/msgs/end-of-early-data.ts';
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  PskKeyExchangeMode,
  SignatureScheme,
} from '../../src/msgs/enums.ts';
import { checkAllowed, checkOffered } from '../../src/msgs/extensions/allowed.ts';
import { decodeEarlyDataTicket } from '../../src/msgs/extensions/early-data.ts';
import { decodeEmptyExtension } from '../../src/msgs/extensions/empty.ts';
import { type Extension, findExtension } from '../../src/msgs/extensions/extension.ts';
import {
  decodeKeyShareClientHello,
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
import { decodeNewSessionTicket } from '../../src/msgs/new-session-ticket.ts';
import {
  setPskBinders,
  truncateClientHello,
  truncatedClientHelloLength,
} from '../../src/msgs/psk-binders.ts';
import { decodeServerHello, isHelloRetryRequest } from '../../src/msgs/server-hello.ts';
import { concat, fromHex, toHex } from '../../src/util/bytes.ts';
import { expectTlsError } from './msgs-helpers.ts';

/*
 * Handshake messages of RFC 8448 (Example Handshake Traces for TLS 1.3), framed, as hex.
 * §3 is the simple 1-RTT handshake; §4 the resumed 0-RTT handshake that uses §3's ticket.
 */
const s3 = {
  clientHello:
    '010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece70000061301130313' +
    '02010000910000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201' +
    '03010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e52' +
    '9aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202' +
    '002d00020101001c00024001',
  serverHello:
    '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e0033' +
    '0024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304',
  /** SHA-256(ClientHello || ServerHello), printed in the trace. */
  helloHash: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8',
  encryptedExtensions:
    '080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000',
  certificate:
    '0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c' +
    '300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e' +
    '310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb49' +
    '8f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19e' +
    'aa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c' +
    '8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603' +
    '551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b05000381810085aad2a0e5b927' +
    '6b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a' +
    '03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b' +
    '84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de10000',
  certificateVerify:
    '0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90db78' +
    'e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac02767145' +
    '9e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3',
  serverFinished: '140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718',
  newSessionTicket:
    '040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa' +
    '90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7f' +
    'd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b' +
    '3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388' +
    'e93343694093934ae4d3570008002a000400000400',
};

const s4 = {
  /** The resumed ClientHello up to its binders: what the binder's transcript hash covers. */
  clientHelloPrefix:
    '010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d950000061301130313' +
    '02010001cd0000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201' +
    '03010400330026002400' +
    '1d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b002a0000002b0003020304' +
    '000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c0002' +
    '400100150057' +
    '00'.repeat(87) +
    '002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c4988' +
    '83c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce14' +
    '5077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40d' +
    'da721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4' +
    'd357fad6aacb',
  /** SHA-256 of the prefix, printed in the trace. */
  prefixHash: '63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14',
  binder: '3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d',
  serverHello:
    '0200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d0013010000340029' +
    '0002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942cea31002b' +
    '00020304',
  encryptedExtensions:
    '080000280026000a00140012001d00170018001901000101010201030104001c0002400100000000002a0000',
  endOfEarlyData: '05000000',
};

const resumedClientHello = () => fromHex(s4.clientHelloPrefix + '002120' + s4.binder);

function body(hex: string, type: number): Uint8Array {
  const msg = decodeHandshake(fromHex(hex));
  expect(msg.type).toBe(type);
  return msg.body;
}

function ext(list: Extension[], type: number): Uint8Array {
  const data = findExtension(list, type);
  expect(data, `extension ${type}`).toBeDefined();
  return data!;
}

describe('RFC 8448 §3: simple 1-RTT handshake messages', () => {
  it('the copied ClientHello and ServerHello hash to the trace value', () => {
    const hash = sha256(concat(fromHex(s3.clientHello), fromHex(s3.serverHello)));
    expect(toHex(hash)).toBe(s3.helloHash);
  });

  it('decodes the ClientHello', () => {
    const ch = decodeClientHello(body(s3.clientHello, HandshakeType.client_hello));
    expect(ch.legacyVersion).toBe(0x0303);
    expect(toHex(ch.random)).toBe(
      'cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7',
    );
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([
      CipherSuite.TLS_AES_128_GCM_SHA256,
      CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
      CipherSuite.TLS_AES_256_GCM_SHA384,
    ]);
    expect(ch.legacyCompressionMethods).toEqual(Uint8Array.of(0));
    expect(ch.extensions.map((e) => e.type)).toEqual([
      ExtensionType.server_name,
      ExtensionType.renegotiation_info,
      ExtensionType.supported_groups,
      ExtensionType.session_ticket,
      ExtensionType.key_share,
      ExtensionType.supported_versions,
      ExtensionType.signature_algorithms,
      ExtensionType.psk_key_exchange_modes,
      ExtensionType.record_size_limit,
    ]);
    const x = ch.extensions;
    expect(decodeServerName(ext(x, ExtensionType.server_name))).toBe('server');
    expect(decodeRenegotiationInfo(ext(x, ExtensionType.renegotiation_info)).length).toBe(0);
    expect(decodeSupportedGroups(ext(x, ExtensionType.supported_groups))).toEqual([
      NamedGroup.x25519,
      NamedGroup.secp256r1,
      NamedGroup.secp384r1,
      NamedGroup.secp521r1,
      NamedGroup.ffdhe2048,
      0x0101,
      0x0102,
      0x0103,
      0x0104,
    ]);
    expect(ext(x, ExtensionType.session_ticket).length).toBe(0);
    const [share] = decodeKeyShareClientHello(ext(x, ExtensionType.key_share));
    expect(share.group).toBe(NamedGroup.x25519);
    expect(toHex(share.keyExchange)).toBe(
      '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c',
    );
    expect(decodeSupportedVersionsClient(ext(x, ExtensionType.supported_versions))).toEqual([
      0x0304,
    ]);
    const sigs = decodeSignatureSchemes(ext(x, ExtensionType.signature_algorithms));
    expect(sigs).toHaveLength(15);
    expect(sigs[0]).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(sigs).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    expect(decodePskKeyExchangeModes(ext(x, ExtensionType.psk_key_exchange_modes))).toEqual([
      PskKeyExchangeMode.psk_dhe_ke,
    ]);
    expect(decodeRecordSizeLimit(ext(x, ExtensionType.record_size_limit))).toBe(16385);
    expect(offersTls13(ch)).toBe(true);
    expect(() => checkAllowed(HandshakeType.client_hello, x)).not.toThrow();
    expect(() => checkClientHelloMandatory(ch)).not.toThrow();
  });

  it('decodes the ServerHello', () => {
    const sh = decodeServerHello(body(s3.serverHello, HandshakeType.server_hello));
    expect(isHelloRetryRequest(sh)).toBe(false);
    expect(toHex(sh.random)).toBe(
      'a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928',
    );
    expect(sh.legacySessionId.length).toBe(0);
    expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(sh.extensions.map((e) => e.type)).toEqual([
      ExtensionType.key_share,
      ExtensionType.supported_versions,
    ]);
    const share = decodeKeyShareServerHello(ext(sh.extensions, ExtensionType.key_share));
    expect(share.group).toBe(NamedGroup.x25519);
    expect(toHex(share.keyExchange)).toBe(
      'c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f',
    );
    expect(
      decodeSupportedVersionsServer(ext(sh.extensions, ExtensionType.supported_versions)),
    ).toBe(0x0304);
    const offered = decodeClientHello(body(s3.clientHello, 1)).extensions.map((e) => e.type);
    expect(() => checkAllowed(HandshakeType.server_hello, sh.extensions)).not.toThrow();
    expect(() => checkOffered(offered, sh.extensions)).not.toThrow();
  });

  it('reassembles and decodes the server flight, delivered one byte per record', () => {
    const flight = fromHex(
      s3.encryptedExtensions + s3.certificate + s3.certificateVerify + s3.serverFinished,
    );
    const j = new HandshakeJoiner();
    const msgs = [];
    for (let i = 0; i < flight.length; i++) {
      j.push(flight.subarray(i, i + 1));
      for (let m = j.next(); m; m = j.next()) msgs.push(m);
    }
    expect(j.hasPartial).toBe(false);
    expect(msgs.map((m) => m.type)).toEqual([
      HandshakeType.encrypted_extensions,
      HandshakeType.certificate,
      HandshakeType.certificate_verify,
      HandshakeType.finished,
    ]);
    expect(toHex(msgs[1].raw)).toBe(s3.certificate);

    const ee = decodeEncryptedExtensions(msgs[0].body);
    expect(ee.extensions.map((e) => e.type)).toEqual([
      ExtensionType.supported_groups,
      ExtensionType.record_size_limit,
      ExtensionType.server_name,
    ]);
    decodeEmptyExtension(ExtensionType.server_name, ext(ee.extensions, ExtensionType.server_name));
    const offered = decodeClientHello(body(s3.clientHello, 1)).extensions.map((e) => e.type);
    expect(() => checkAllowed(HandshakeType.encrypted_extensions, ee.extensions)).not.toThrow();
    expect(() => checkOffered(offered, ee.extensions)).not.toThrow();

    const cert = decodeCertificate(msgs[1].body);
    expect(cert.context.length).toBe(0);
    expect(cert.entries).toHaveLength(1);
    expect(cert.entries[0].data.length).toBe(0x1b0);
    expect(cert.entries[0].data[0]).toBe(0x30);
    expect(cert.entries[0].extensions).toEqual([]);

    const cv = decodeCertificateVerify(msgs[2].body);
    expect(cv.algorithm).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(cv.signature.length).toBe(128);

    expect(toHex(decodeFinished(msgs[3].body, 32))).toBe(
      '9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718',
    );
  });

  it('decodes the NewSessionTicket', () => {
    const nst = decodeNewSessionTicket(body(s3.newSessionTicket, HandshakeType.new_session_ticket));
    expect(nst.lifetime).toBe(30);
    expect(nst.ageAdd).toBe(0xfad6aac5);
    expect(toHex(nst.nonce)).toBe('0000');
    expect(nst.ticket.length).toBe(178);
    expect(decodeEarlyDataTicket(ext(nst.extensions, ExtensionType.early_data))).toBe(1024);
    expect(() => checkAllowed(HandshakeType.new_session_ticket, nst.extensions)).not.toThrow();
  });
});

describe('RFC 8448 §4: resumed 0-RTT handshake messages', () => {
  it('the copied ClientHello prefix hashes to the trace value', () => {
    expect(toHex(sha256(fromHex(s4.clientHelloPrefix)))).toBe(s4.prefixHash);
  });

  it('decodes the resumed ClientHello and its PSK offer', () => {
    const raw = resumedClientHello();
    expect(raw.length).toBe(512);
    const ch = decodeClientHello(decodeHandshake(raw).body);
    expect(ch.extensions[ch.extensions.length - 1].type).toBe(ExtensionType.pre_shared_key);
    expect(() => checkAllowed(HandshakeType.client_hello, ch.extensions)).not.toThrow();
    expect(ext(ch.extensions, ExtensionType.early_data).length).toBe(0);
    expect(ext(ch.extensions, ExtensionType.padding).length).toBe(87);

    const psks = decodeOfferedPsks(ext(ch.extensions, ExtensionType.pre_shared_key));
    expect(psks.identities).toHaveLength(1);
    // The identity is the §3 ticket, and the age is obfuscated with its ticket_age_add.
    const nst = decodeNewSessionTicket(body(s3.newSessionTicket, HandshakeType.new_session_ticket));
    expect(psks.identities[0].identity).toEqual(nst.ticket);
    expect((psks.identities[0].obfuscatedTicketAge - nst.ageAdd) >>> 0).toBeLessThan(1000);
    expect(toHex(psks.binders[0])).toBe(s4.binder);
  });

  it('truncates the ClientHello exactly where the trace does (§4.2.11.2)', () => {
    const raw = resumedClientHello();
    expect(truncatedClientHelloLength(raw)).toBe(477);
    expect(toHex(truncateClientHello(raw))).toBe(s4.clientHelloPrefix);
    expect(toHex(sha256(truncateClientHello(raw)))).toBe(s4.prefixHash);
  });

  it('fills computed binders into a placeholder ClientHello', () => {
    const placeholder = fromHex(s4.clientHelloPrefix + '002120' + '00'.repeat(32));
    expect(toHex(truncateClientHello(placeholder))).toBe(s4.clientHelloPrefix);
    const filled = setPskBinders(placeholder, [fromHex(s4.binder)]);
    expect(filled).toEqual(resumedClientHello());
    expect(placeholder[placeholder.length - 1]).toBe(0);
    expectTlsError(() => setPskBinders(placeholder, [new Uint8Array(48)]), 'INTERNAL_ERROR');
    expectTlsError(() => setPskBinders(placeholder, []), 'INTERNAL_ERROR');
  });

  it('refuses to truncate a hello whose pre_shared_key is not last, or is absent', () => {
    expectTlsError(() => truncatedClientHelloLength(fromHex(s3.clientHello)), 'INTERNAL_ERROR');
    expectTlsError(() => truncatedClientHelloLength(fromHex(s3.serverHello)), 'UNEXPECTED_MESSAGE');
    const ch = decodeClientHello(decodeHandshake(resumedClientHello()).body);
    const psk = ch.extensions[ch.extensions.length - 1];
    const moved = { ...ch, extensions: [psk, ...ch.extensions.slice(0, -1)] };
    expectTlsError(
      () => checkAllowed(HandshakeType.client_hello, moved.extensions),
      'ILLEGAL_PARAMETER',
    );
    const raw = encodeHandshake(HandshakeType.client_hello, encodeClientHello(moved));
    expectTlsError(() => truncatedClientHelloLength(raw), 'ILLEGAL_PARAMETER');
  });

  it('decodes the resumed ServerHello, EncryptedExtensions and EndOfEarlyData', () => {
    const sh = decodeServerHello(body(s4.serverHello, HandshakeType.server_hello));
    expect(sh.extensions.map((e) => e.type)).toEqual([
      ExtensionType.pre_shared_key,
      ExtensionType.key_share,
      ExtensionType.supported_versions,
    ]);
    expect(decodePreSharedKeyServerHello(ext(sh.extensions, ExtensionType.pre_shared_key))).toBe(0);
    expect(() => checkAllowed(HandshakeType.server_hello, sh.extensions)).not.toThrow();

    const ee = decodeEncryptedExtensions(
      body(s4.encryptedExtensions, HandshakeType.encrypted_extensions),
    );
    decodeEmptyExtension(ExtensionType.early_data, ext(ee.extensions, ExtensionType.early_data));
    const offered = decodeClientHello(decodeHandshake(resumedClientHello()).body).extensions.map(
      (e) => e.type,
    );
    expect(() => checkOffered(offered, ee.extensions)).not.toThrow();
    expect(() => checkOffered(offered, sh.extensions)).not.toThrow();

    decodeEndOfEarlyData(body(s4.endOfEarlyData, HandshakeType.end_of_early_data));
  });
});

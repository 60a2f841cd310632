import { describe, expect, it } from 'vitest';
import { ExtensionType, HandshakeType, nameOf } from '../../src/msgs/enums.ts';
import {
  checkAllowed,
  checkOffered,
  EXTENSION_CONTEXTS,
  extensionContext,
} from '../../src/msgs/extensions/allowed.ts';
import type { Extension } from '../../src/msgs/extensions/extension.ts';
import { expectTlsError, sampleClientHello } from './msgs-helpers.ts';

const ext = (type: number): Extension => ({ type, data: new Uint8Array(0) });
const E = ExtensionType;
const T = HandshakeType;

describe('checkAllowed: the RFC 8446 §4.2 table', () => {
  it('accepts a typical ClientHello, GREASE and unknown extensions included', () => {
    expect(() => checkAllowed(T.client_hello, sampleClientHello(true).extensions)).not.toThrow();
    expect(() =>
      checkAllowed(T.client_hello, [ext(0x0a0a), ext(0x7777), ext(E.padding)]),
    ).not.toThrow();
    // TLS 1.2 extensions ride along in a ClientHello that also offers TLS 1.2.
    const tls12 = [
      E.ec_point_formats,
      E.extended_master_secret,
      E.renegotiation_info,
      E.session_ticket,
    ];
    expect(() => checkAllowed(T.client_hello, tls12.map(ext))).not.toThrow();
  });

  it('rejects a recognized extension in a message not listed for it: illegal_parameter', () => {
    const cases: [number, number, boolean?][] = [
      [T.server_hello, E.server_name],
      [T.server_hello, E.application_layer_protocol_negotiation],
      [T.server_hello, E.cookie],
      [T.server_hello, E.early_data],
      [T.server_hello, E.pre_shared_key, true],
      [T.server_hello, E.ec_point_formats],
      [T.encrypted_extensions, E.key_share],
      [T.encrypted_extensions, E.supported_versions],
      [T.encrypted_extensions, E.pre_shared_key],
      [T.encrypted_extensions, E.signature_algorithms],
      [T.encrypted_extensions, E.extended_master_secret],
      [T.encrypted_extensions, E.renegotiation_info],
      [T.certificate, E.server_name],
      [T.certificate_request, E.key_share],
      [T.certificate_request, E.server_name],
      [T.new_session_ticket, E.server_name],
      [T.new_session_ticket, E.key_share],
      [T.client_hello, E.oid_filters],
    ];
    for (const [msg, type, isHrr] of cases) {
      const err = expectTlsError(
        () => checkAllowed(msg, [ext(type)], { isHrr }),
        'ILLEGAL_PARAMETER',
      );
      expect(EXTENSION_CONTEXTS.has(type)).toBe(true);
      expect(err.message).toContain(nameOf(ExtensionType, type));
    }
  });

  it('accepts each extension where the table lists it', () => {
    const ok: [number, number[], boolean?][] = [
      [T.server_hello, [E.supported_versions, E.key_share, E.pre_shared_key]],
      [
        T.server_hello,
        [E.supported_versions, E.key_share, E.cookie, E.encrypted_client_hello],
        true,
      ],
      [
        T.encrypted_extensions,
        [
          E.server_name,
          E.supported_groups,
          E.application_layer_protocol_negotiation,
          E.early_data,
          E.record_size_limit,
          E.encrypted_client_hello,
          E.max_fragment_length,
        ],
      ],
      [T.certificate, [E.status_request, E.signed_certificate_timestamp]],
      [
        T.certificate_request,
        [
          E.signature_algorithms,
          E.signature_algorithms_cert,
          E.certificate_authorities,
          E.oid_filters,
          E.status_request,
          E.compress_certificate,
        ],
      ],
      [T.new_session_ticket, [E.early_data]],
    ];
    for (const [msg, types, isHrr] of ok) {
      expect(() => checkAllowed(msg, types.map(ext), { isHrr })).not.toThrow();
    }
  });

  it('ignores unknown extensions in CertificateRequest and NewSessionTicket', () => {
    expect(() =>
      checkAllowed(T.certificate_request, [ext(E.signature_algorithms), ext(0x9999)]),
    ).not.toThrow();
    expect(() => checkAllowed(T.new_session_ticket, [ext(0x2a2a), ext(0x9999)])).not.toThrow();
  });

  it('tells ServerHello from HelloRetryRequest', () => {
    expect(extensionContext(T.server_hello)).toBe('SH');
    expect(extensionContext(T.server_hello, { isHrr: true })).toBe('HRR');
    expectTlsError(() => checkAllowed(T.server_hello, [ext(E.cookie)]), 'ILLEGAL_PARAMETER');
    expectTlsError(
      () => checkAllowed(T.server_hello, [ext(E.pre_shared_key)], { isHrr: true }),
      'ILLEGAL_PARAMETER',
    );
  });

  it('requires pre_shared_key to be the last ClientHello extension (§4.2.11)', () => {
    const exts = sampleClientHello(true).extensions;
    const moved = [exts[exts.length - 1], ...exts.slice(0, -1)];
    const err = expectTlsError(() => checkAllowed(T.client_hello, moved), 'ILLEGAL_PARAMETER');
    expect(err.message).toContain('last');
    // In a ServerHello it may be anywhere.
    expect(() =>
      checkAllowed(T.server_hello, [ext(E.pre_shared_key), ext(E.supported_versions)]),
    ).not.toThrow();
  });

  it('refuses message types that carry no extensions', () => {
    expectTlsError(() => checkAllowed(T.finished, []), 'INTERNAL_ERROR');
  });
});

describe('checkOffered (RFC 8446 §4.2)', () => {
  const offered = sampleClientHello().extensions.map((e) => e.type);

  it('accepts replies to offered extensions', () => {
    expect(() =>
      checkOffered(offered, [ext(E.supported_versions), ext(E.key_share)]),
    ).not.toThrow();
    expect(() => checkOffered(new Set(offered), [ext(E.server_name)])).not.toThrow();
  });

  it('rejects an extension that was not offered with unsupported_extension', () => {
    const err = expectTlsError(
      () => checkOffered(offered, [ext(E.early_data)]),
      'UNSUPPORTED_EXTENSION',
    );
    expect(err.message).toContain('early_data');
    expectTlsError(() => checkOffered(offered, [ext(0x7777)]), 'UNSUPPORTED_EXTENSION');
  });

  it('allows an unsolicited cookie only in a HelloRetryRequest (§4.2.2)', () => {
    expect(() => checkOffered(offered, [ext(E.cookie)], { isHrr: true })).not.toThrow();
    expectTlsError(() => checkOffered(offered, [ext(E.cookie)]), 'UNSUPPORTED_EXTENSION');
  });

  it('rejects GREASE in a reply even though the client sent it (RFC 8701)', () => {
    expect(offered).toContain(0x0a0a);
    expectTlsError(() => checkOffered(offered, [ext(0x0a0a)]), 'UNSUPPORTED_EXTENSION');
  });
});

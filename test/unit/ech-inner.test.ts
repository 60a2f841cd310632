import { describe, expect, it } from 'vitest';
import { decodeInner, encodeInner, outerAad, placeholderOuter } from '../../src/ech/inner.ts';
import { type ClientHello, encodeClientHello } from '../../src/msgs/client-hello.ts';
import { ExtensionType } from '../../src/msgs/enums.ts';
import {
  decodeEchClientHello,
  ECH_INNER_EXTENSION_DATA,
  encodeOuterExtensions,
} from '../../src/msgs/extensions/ech.ts';

/** EncodedClientHelloInner and ClientHelloOuterAAD (draft-ietf-tls-esni §5.1, §5.2). */

const E = ExtensionType;
const ext = (type: number, ...bytes: number[]) => ({ type, data: new Uint8Array(bytes) });

function hello(extensions: ClientHello['extensions'], sid = 32): ClientHello {
  return {
    legacyVersion: 0x0303,
    random: new Uint8Array(32).fill(7),
    legacySessionId: new Uint8Array(sid).fill(9),
    cipherSuites: [0x1301, 0x1302],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions,
  };
}

const inner = hello([
  ext(E.server_name, 1, 2, 3),
  ext(E.supported_groups, 0, 2, 0, 29),
  ext(E.key_share, 4, 5, 6),
  ext(E.encrypted_client_hello, ...ECH_INNER_EXTENSION_DATA),
]);
const outer = hello([
  ext(E.server_name, 8, 8),
  ext(E.supported_groups, 0, 2, 0, 29),
  ext(E.application_layer_protocol_negotiation, 1),
  ext(E.key_share, 4, 5, 6),
  ext(E.encrypted_client_hello, 0, 0, 1, 0, 1, 5, 0, 1, 0xaa, 0, 1, 0xbb),
]);

describe('EncodedClientHelloInner', () => {
  it('compresses outer extensions, empties the session ID, pads to 32, and decodes back', () => {
    const encoded = encodeInner(inner, [E.supported_groups, E.key_share], 64, 'abc');
    expect(encoded.length % 32).toBe(0);
    const decoded = decodeInner(encoded, outer);
    expect(decoded).toEqual(inner);
  });

  it('pads a hello without server_name by a whole server_name extension', () => {
    const bare = hello([ext(E.encrypted_client_hello, 1)]);
    const withName = encodeInner(bare, [], 100, 'x');
    const without = encodeInner(bare, [], 100, undefined);
    expect(without.length).toBeGreaterThanOrEqual(withName.length);
    expect(
      without.length - encodeClientHello({ ...bare, legacySessionId: new Uint8Array(0) }).length,
    ).toBeGreaterThanOrEqual(109);
  });

  it('refuses non-zero padding and bad references (illegal_parameter)', () => {
    const encoded = encodeInner(inner, [E.supported_groups, E.key_share], 64, 'abc');
    const dirty = encoded.slice();
    dirty[dirty.length - 1] = 1;
    expect(() => decodeInner(dirty, outer)).toThrow(
      expect.objectContaining({ code: 'ILLEGAL_PARAMETER' }),
    );

    const withRefs = (types: number[]) =>
      encodeClientHello(
        hello([{ type: E.ech_outer_extensions, data: encodeOuterExtensions(types) }], 0),
      );
    const refuse = (types: number[]) =>
      expect(() => decodeInner(withRefs(types), outer)).toThrow(
        expect.objectContaining({ code: 'ILLEGAL_PARAMETER' }),
      );
    refuse([E.key_share, E.supported_groups]); // out of outer order
    refuse([E.supported_groups, E.supported_groups]); // twice
    refuse([E.encrypted_client_hello]); // ECH itself
    refuse([E.cookie]); // missing from the outer hello
    expect(decodeInner(withRefs([E.supported_groups, E.key_share]), outer).extensions).toHaveLength(
      2,
    );
  });

  it('ClientHelloOuterAAD zeroes exactly the payload', () => {
    const aad = outerAad(outer);
    const sealedPart = placeholderOuter(
      { kdfId: 1, aeadId: 1, configId: 5, enc: new Uint8Array([0xaa]) },
      1,
    );
    const expected = encodeClientHello({
      ...outer,
      extensions: [
        ...outer.extensions.slice(0, 4),
        { type: E.encrypted_client_hello, data: sealedPart },
      ],
    });
    expect(aad).toEqual(expected);
    const parsed = decodeEchClientHello(sealedPart);
    expect(parsed).toMatchObject({ type: 0, configId: 5, payload: new Uint8Array(1) });
  });
});

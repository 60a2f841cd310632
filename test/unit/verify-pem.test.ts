/**
 * PEM (RFC 7468) decoding and encoding, and the key normalisation that turns what openssl writes
 * (SEC1, PKCS#1, PKCS#8; PEM or DER) into PKCS#8. Expected PKCS#8 bytes are openssl's own
 * `pkcs8 -topk8 -nocrypt` output for the same throwaway keys.
 */
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { fromHex, toHex } from '../../src/util/bytes.ts';
import { pemBlocks, pemCertificates, pemDecode, pemEncode } from '../../src/util/pem.ts';
import { pkcs8Info, privateKeyToPkcs8 } from '../../src/verify/keys.ts';

/** `openssl ecparam -name prime256v1 -genkey -noout` (a test-only key). */
const P256_SEC1 = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIDeedNRZi4cloPfJRUehJd/owAp6S2rw0bHv3OheAW60oAoGCCqGSM49
AwEHoUQDQgAEqlu6p66vHsnNu8KL1t3kAucLn1rqregAJZ5l8zZvftlTDzGQF6ej
SC8Jmfv6DXZL2KAA8fNyNYWj/DaTlSWBDw==
-----END EC PRIVATE KEY-----
`;
const P256_PKCS8 =
  '308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420379e74d4' +
  '598b8725a0f7c94547a125dfe8c00a7a4b6af0d1b1efdce85e016eb4a14403420004aa5bbaa7aeaf' +
  '1ec9cdbbc28bd6dde402e70b9f5aeaade800259e65f3366f7ed9530f319017a7a3482f0999fbfa0d' +
  '764bd8a000f1f3723585a3fc36939525810f';

/** `openssl ecparam -name secp384r1 -genkey` (EC PARAMETERS block first). */
const P384_ECPARAM = `-----BEGIN EC PARAMETERS-----
BgUrgQQAIg==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MIGkAgEBBDARYSW5XRRrnAzA58jwX5lmlZkXHlr85Lnw+Ncwxj9C73d6IL5zY5id
h3GGqeIilm2gBwYFK4EEACKhZANiAAQqJwqEiWbwIAvqOoCNETaC+HyQs0u8pgbT
mNVYyYfIJoubn0FlMzsd8EE1AFd6f6GPBlV49/YQk1l2B98yWYhjO1TyMfJ8/+3W
ycOytOmhTKnWDshfk8j+ORCP3Dhh8Lw=
-----END EC PRIVATE KEY-----
`;
const P384_PKCS8 =
  '3081b6020100301006072a8648ce3d020106052b8104002204819e30819b0201010430116125b95d' +
  '146b9c0cc0e7c8f05f99669599171e5afce4b9f0f8d730c63f42ef777a20be7363989d877186a9e2' +
  '22966da164036200042a270a848966f0200bea3a808d113682f87c90b34bbca606d398d558c987c8' +
  '268b9b9f4165333b1df0413500577a7fa18f065578f7f61093597607df325988633b54f231f27cff' +
  'edd6c9c3b2b4e9a14ca9d60ec85f93c8fe39108fdc3861f0bc';

/** A 512-bit RSA key (too small for use; structure only) from `openssl rsa -traditional`. */
const RSA_PKCS1 = `-----BEGIN RSA PRIVATE KEY-----
MIIBOwIBAAJBANSXt6n8F99pdxPLudiVnUCzRuBIxMXTlTrUKG4butsxj7TptJCi
4DiBCy8PmSGghIe1n2EPu/6narcE/rg1VxECAwEAAQJAe0/dis3dEwvbtDHRhN2T
rznN/L541L7bqpnxMZ0ID6dq+tyyTDSptZM58W4fdUWzXyORpcYPUh6RSHkxBSia
mQIhAPJ+RRY7G9ODF0YQRgWZ4a4nQFofzbl1VhCcWy3+5izjAiEA4G8XtuGpwlUv
sjSsc3A4pOn7GpqZDQb+xArH0EbsAnsCIQDxWoZO2yQWAFsQzC+1cXSzDrQ5P4BW
P5gazlTeUd8s+wIhAJ9Gd//z2nPt3LGNrC0ooSp4WxogSSnzou4h8HghPPDtAiBi
Z9KTZYjXKQ2/1KHq0gvmfkIMkXEmr63x3f0MSu2OtA==
-----END RSA PRIVATE KEY-----
`;
const RSA_PKCS8 =
  '30820155020100300d06092a864886f70d01010105000482013f3082013b020100024100d497b7a9' +
  'fc17df697713cbb9d8959d40b346e048c4c5d3953ad4286e1bbadb318fb4e9b490a2e038810b2f0f' +
  '9921a08487b59f610fbbfea76ab704feb8355711020301000102407b4fdd8acddd130bdbb431d184' +
  'dd93af39cdfcbe78d4bedbaa99f1319d080fa76afadcb24c34a9b59339f16e1f7545b35f2391a5c6' +
  '0f521e9148793105289a99022100f27e45163b1bd383174610460599e1ae27405a1fcdb97556109c' +
  '5b2dfee62ce3022100e06f17b6e1a9c2552fb234ac737038a4e9fb1a9a990d06fec40ac7d046ec02' +
  '7b022100f15a864edb2416005b10cc2fb57174b30eb4393f80563f981ace54de51df2cfb0221009f' +
  '4677fff3da73eddcb18dac2d28a12a785b1a204929f3a2ee21f078213cf0ed02206267d2936588d7' +
  '290dbfd4a1ead20be67e420c917126afadf1ddfd0c4aed8eb4';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TlsError ? e.code : `not a TlsError: ${String(e)}`;
  }
  return undefined;
}

describe('PEM', () => {
  const der1 = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
  const der2 = new Uint8Array(200).map((_, i) => (i * 7) & 0xff);

  it('encodes with 64-column lines and decodes back', () => {
    const text = pemEncode('CERTIFICATE', der2);
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[lines.length - 1]).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -1).every((l) => l.length <= 64)).toBe(true);
    expect(lines[1].length).toBe(64);
    expect(pemCertificates(text)).toEqual([der2]);
  });

  it('finds every block, in order, between explanatory text and CRLF line ends', () => {
    const text =
      `subject=CN=x\r\n${pemEncode('CERTIFICATE', der1)}junk\n` +
      pemEncode('PRIVATE KEY', der2).replace(/\n/g, '\r\n') +
      pemEncode('CERTIFICATE', der2);
    expect(pemBlocks(text).map((b) => b.label)).toEqual([
      'CERTIFICATE',
      'PRIVATE KEY',
      'CERTIFICATE',
    ]);
    expect(pemCertificates(text)).toEqual([der1, der2]);
    expect(pemDecode(text, 'PRIVATE KEY')).toEqual([der2]);
    expect(pemDecode(text, 'X509 CRL')).toEqual([]);
  });

  it('rejects a block without its END line, a mismatched label, bad base64 and headers', () => {
    const good = pemEncode('CERTIFICATE', der1);
    expect(() => pemBlocks(good.replace('-----END CERTIFICATE-----', ''))).toThrow(TypeError);
    expect(() => pemBlocks(good.replace('END CERTIFICATE', 'END PRIVATE KEY'))).toThrow(TypeError);
    expect(() => pemBlocks(good.replace('MAMCAQU=', 'MAMC*QU='))).toThrow(TypeError);
    expect(() => pemBlocks(good.replace('MAMCAQU=', 'MAMCAQU'))).toThrow(TypeError);
    const encrypted = good.replace(
      'MAMCAQU=',
      'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAMCAQU=',
    );
    expect(() => pemBlocks(encrypted)).toThrow(/headers/);
    // A second BEGIN before the first END.
    expect(() => pemBlocks(good.replace('-----END CERTIFICATE-----\n', '') + good)).toThrow(
      TypeError,
    );
  });

  it('returns nothing for text without PEM', () => {
    expect(pemBlocks('no pem here')).toEqual([]);
  });
});

describe('privateKeyToPkcs8', () => {
  it('wraps SEC1 with the curve from the key parameters, as openssl does', () => {
    const pkcs8 = privateKeyToPkcs8(P256_SEC1);
    expect(toHex(pkcs8)).toBe(P256_PKCS8);
    expect(pkcs8Info(pkcs8)).toEqual({
      algorithm: '1.2.840.10045.2.1',
      curve: '1.2.840.10045.3.1.7',
    });
  });

  it('skips an EC PARAMETERS block before the key', () => {
    expect(toHex(privateKeyToPkcs8(P384_ECPARAM))).toBe(P384_PKCS8);
  });

  it('wraps PKCS#1 with rsaEncryption and NULL parameters, as openssl does', () => {
    const pkcs8 = privateKeyToPkcs8(RSA_PKCS1);
    expect(toHex(pkcs8)).toBe(RSA_PKCS8);
    expect(pkcs8Info(pkcs8)).toEqual({ algorithm: '1.2.840.113549.1.1.1' });
  });

  it('passes PKCS#8 through, as PEM or DER, and detects DER SEC1 and PKCS#1', () => {
    const p256 = fromHex(P256_PKCS8);
    expect(privateKeyToPkcs8(pemEncode('PRIVATE KEY', p256))).toEqual(p256);
    expect(privateKeyToPkcs8(p256)).toEqual(p256);
    const sec1Der = pemDecode(P256_SEC1, 'EC PRIVATE KEY')[0];
    expect(toHex(privateKeyToPkcs8(sec1Der))).toBe(P256_PKCS8);
    const rsaDer = pemDecode(RSA_PKCS1, 'RSA PRIVATE KEY')[0];
    expect(toHex(privateKeyToPkcs8(rsaDer))).toBe(RSA_PKCS8);
  });

  it('takes the curve from EC PARAMETERS when the SEC1 key has none', () => {
    // Re-encode the P-384 key without its [0] parameters.
    const sec1 = pemDecode(P384_ECPARAM, 'EC PRIVATE KEY')[0];
    const withoutParams = stripContextField(sec1, 0xa0);
    const params = pemEncode('EC PARAMETERS', pemDecode(P384_ECPARAM, 'EC PARAMETERS')[0]);
    const text = params + pemEncode('EC PRIVATE KEY', withoutParams);
    expect(toHex(privateKeyToPkcs8(text))).toBe(P384_PKCS8);
    expect(code(() => privateKeyToPkcs8(pemEncode('EC PRIVATE KEY', withoutParams)))).toBe(
      'CONFIG',
    );
  });

  it('refuses encrypted keys, missing keys and garbage with CONFIG', () => {
    const enc = pemEncode('ENCRYPTED PRIVATE KEY', new Uint8Array([0x30, 0]));
    expect(code(() => privateKeyToPkcs8(enc))).toBe('CONFIG');
    expect(code(() => privateKeyToPkcs8(pemEncode('CERTIFICATE', new Uint8Array(3))))).toBe(
      'CONFIG',
    );
    expect(code(() => privateKeyToPkcs8('not pem'))).toBe('CONFIG');
    expect(code(() => privateKeyToPkcs8(new Uint8Array([1, 2, 3])))).toBe('CONFIG');
    const badSec1 = pemEncode('EC PRIVATE KEY', new Uint8Array([0x30, 3, 2, 1, 2]));
    expect(code(() => privateKeyToPkcs8(badSec1))).toBe('CONFIG');
    const badRsa = pemEncode('RSA PRIVATE KEY', new Uint8Array([0x30, 3, 2, 1, 0]));
    expect(code(() => privateKeyToPkcs8(badRsa))).toBe('CONFIG');
  });
});

/** Removes one context-tagged field from a DER SEQUENCE with short-form lengths inside. */
function stripContextField(seq: Uint8Array, tag: number): Uint8Array {
  // Outer header: 0x30, then a one- or two-byte length.
  const headerLen = seq[1] & 0x80 ? 2 + (seq[1] & 0x7f) : 2;
  const fields: Uint8Array[] = [];
  for (let i = headerLen; i < seq.length; ) {
    const len = seq[i + 1];
    if (len & 0x80) throw new Error('test helper handles short lengths only');
    const field = seq.subarray(i, i + 2 + len);
    if (field[0] !== tag) fields.push(field);
    i += 2 + len;
  }
  const body = fields.reduce((n, f) => n + f.length, 0);
  const out = [0x30, ...(body < 0x80 ? [body] : [0x81, body])];
  for (const f of fields) out.push(...f);
  return new Uint8Array(out);
}

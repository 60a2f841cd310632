/**
 * The crypto providers against the openssl CLI: keys of each type made by openssl, signatures
 * made by openssl verified by every provider, signatures made by the providers verified by
 * openssl, tampered signatures refused by both, and ECDH secrets that agree with
 * `openssl pkeyutl -derive`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider, spkiInfo, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { NamedGroup, SignatureScheme as S } from '../../src/msgs/enums.ts';
import { concat, fromHex, toHex, utf8 } from '../../src/util/bytes.ts';

const PROVIDERS: [string, () => CryptoProvider][] = [
  ['subtle', () => subtleProvider()],
  [
    'subtle+fallbacks',
    () => subtleProvider({ fallback: ['X25519', 'Ed25519', 'ChaCha20-Poly1305'] }),
  ],
  ['noble', () => nobleProvider()],
];

let dir: string;
const path = (name: string) => join(dir, name);
const read = (name: string) => new Uint8Array(readFileSync(path(name)));

/** Runs openssl with an argument list (no shell), bounded in time. */
function openssl(...args: string[]): { ok: boolean; output: string } {
  try {
    const out = execFileSync('openssl', args, { cwd: dir, timeout: 20_000, stdio: 'pipe' });
    return { ok: true, output: out.toString() };
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

function must(...args: string[]): string {
  const r = openssl(...args);
  if (!r.ok) throw new Error(`openssl ${args.join(' ')} failed: ${r.output}`);
  return r.output;
}

/** The key types under test and how openssl makes them. */
const KEYS: Record<string, string[]> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['-algorithm', 'ED25519'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsapss: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsapss256: [
    '-algorithm',
    'RSA-PSS',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-pkeyopt',
    'rsa_pss_keygen_md:sha256',
    '-pkeyopt',
    'rsa_pss_keygen_mgf1_md:sha256',
    '-pkeyopt',
    'rsa_pss_keygen_saltlen:32',
  ],
  x25519: ['-algorithm', 'X25519'],
};

const pkcs8 = (k: string) => read(`${k}.key.der`);
const spki = (k: string) => read(`${k}.pub.der`);
const message = utf8('webtls signs this; openssl checks it, and the other way round.\n');

const PSS = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'];

/** How openssl signs for each (key, scheme), and verifies. */
const OPENSSL_SIGS: { key: string; scheme: number; md: string; opts: string[] }[] = [
  { key: 'p256', scheme: S.ecdsa_secp256r1_sha256, md: '-sha256', opts: [] },
  { key: 'p384', scheme: S.ecdsa_secp384r1_sha384, md: '-sha384', opts: [] },
  // A certificate-style signature: P-384 key, SHA-256 hash.
  { key: 'p384', scheme: S.ecdsa_secp256r1_sha256, md: '-sha256', opts: [] },
  { key: 'rsa', scheme: S.rsa_pss_rsae_sha256, md: '-sha256', opts: PSS },
  { key: 'rsa', scheme: S.rsa_pss_rsae_sha384, md: '-sha384', opts: PSS },
  { key: 'rsa', scheme: S.rsa_pss_rsae_sha512, md: '-sha512', opts: PSS },
  { key: 'rsa', scheme: S.rsa_pkcs1_sha256, md: '-sha256', opts: [] },
  { key: 'rsa', scheme: S.rsa_pkcs1_sha384, md: '-sha384', opts: [] },
  { key: 'rsa', scheme: S.rsa_pkcs1_sha512, md: '-sha512', opts: [] },
  { key: 'rsapss', scheme: S.rsa_pss_pss_sha256, md: '-sha256', opts: PSS },
  { key: 'rsapss', scheme: S.rsa_pss_pss_sha512, md: '-sha512', opts: PSS },
  { key: 'rsapss256', scheme: S.rsa_pss_pss_sha256, md: '-sha256', opts: PSS },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webtls-crypto-'));
  writeFileSync(path('msg'), message);
  for (const [name, args] of Object.entries(KEYS)) {
    must('genpkey', ...args, '-out', `${name}.pem`);
    // `pkey -outform DER` writes the traditional form for EC and RSA; ask for PKCS#8.
    must(
      'pkcs8',
      '-topk8',
      '-nocrypt',
      '-in',
      `${name}.pem`,
      '-outform',
      'DER',
      '-out',
      `${name}.key.der`,
    );
    must('pkey', '-in', `${name}.pem`, '-pubout', '-out', `${name}.pub.pem`);
    must('pkey', '-in', `${name}.pem`, '-pubout', '-outform', 'DER', '-out', `${name}.pub.der`);
  }
  // Ed25519 signs the message itself (RFC 8032 PureEdDSA).
  must('pkeyutl', '-sign', '-inkey', 'ed25519.pem', '-rawin', '-in', 'msg', '-out', 'ed25519.sig');
  OPENSSL_SIGS.forEach((s, i) => {
    must('dgst', s.md, '-sign', `${s.key}.pem`, ...s.opts, '-out', `sig${i}`, 'msg');
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const flipped = (b: Uint8Array) => {
  const c = b.slice();
  c[c.length >> 1] ^= 0x20;
  return c;
};

describe('openssl keys as spkiInfo sees them', () => {
  it('reports algorithm, curve and size', () => {
    expect(spkiInfo(spki('p256'))).toEqual({ algorithm: 'ecdsa', curve: 'P-256', bits: 256 });
    expect(spkiInfo(spki('p384'))).toEqual({ algorithm: 'ecdsa', curve: 'P-384', bits: 384 });
    expect(spkiInfo(spki('ed25519'))).toEqual({ algorithm: 'ed25519', bits: 256 });
    expect(spkiInfo(spki('rsa'))).toEqual({ algorithm: 'rsa', bits: 2048 });
    expect(spkiInfo(spki('rsapss'))).toEqual({ algorithm: 'rsa-pss', bits: 2048 });
    expect(spkiInfo(spki('rsapss256'))).toEqual({ algorithm: 'rsa-pss', bits: 2048 });
  });
});

describe.each(PROVIDERS)('openssl interop with the %s provider', (name, make) => {
  const provider = make();

  it.each(OPENSSL_SIGS.map((s, i) => ({ ...s, i })))(
    'verifies openssl dgst $md signatures by $key (scheme $scheme), refuses tampered ones',
    async ({ key, scheme, i }) => {
      const sig = read(`sig${i}`);
      expect(await provider.verify(scheme, spki(key), message, sig)).toBe(true);
      expect(await provider.verify(scheme, spki(key), message, flipped(sig))).toBe(false);
      expect(await provider.verify(scheme, spki(key), flipped(message), sig)).toBe(false);
    },
  );

  it('verifies an openssl Ed25519 signature, refuses a tampered one', async () => {
    const sig = read('ed25519.sig');
    expect(await provider.verify(S.ed25519, spki('ed25519'), message, sig)).toBe(true);
    expect(await provider.verify(S.ed25519, spki('ed25519'), message, flipped(sig))).toBe(false);
  });

  it('refuses an RSA-PSS signature whose salt is not the digest length', async () => {
    must(
      'dgst',
      '-sha256',
      '-sign',
      'rsa.pem',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:20',
      '-out',
      `salt20-${name}`,
      'msg',
    );
    const sig = read(`salt20-${name}`);
    expect(await provider.verify(S.rsa_pss_rsae_sha256, spki('rsa'), message, sig)).toBe(false);
  });

  /** Signs with the provider, then asks openssl; a tampered copy must fail there too. */
  async function signAndAskOpenssl(key: string, scheme: number, verifyArgs: string[]) {
    const signer = await provider.signingKey({ pkcs8: pkcs8(key) });
    expect(signer.schemes).toContain(scheme);
    const sig = await signer.sign(scheme, message);
    const file = `${name}-${key}-${scheme}.sig`;
    writeFileSync(path(file), sig);
    const good = openssl(...verifyArgs, file);
    expect(good.output).toContain('Verified');
    expect(good.ok).toBe(true);
    writeFileSync(path(file), flipped(sig));
    const bad = openssl(...verifyArgs, file);
    expect(bad.ok).toBe(false);
  }

  const dgstVerify = (md: string, key: string, ...opts: string[]) => [
    'dgst',
    md,
    '-verify',
    `${key}.pub.pem`,
    ...opts,
    '-signature',
  ];
  // `openssl dgst -verify ... -signature FILE msg`: FILE is appended, then the message.
  const withMsg = (args: string[]) => (file: string) => [...args, file, 'msg'];

  it('signs ECDSA P-256 and P-384 that openssl verifies', async () => {
    for (const [key, scheme, md] of [
      ['p256', S.ecdsa_secp256r1_sha256, '-sha256'],
      ['p384', S.ecdsa_secp384r1_sha384, '-sha384'],
    ] as const) {
      const signer = await provider.signingKey({ pkcs8: pkcs8(key) });
      const sig = await signer.sign(scheme, message);
      const file = `${name}-${key}.sig`;
      writeFileSync(path(file), sig);
      const good = openssl(...withMsg(dgstVerify(md, key))(file));
      expect(good.output).toContain('Verified OK');
      writeFileSync(path(file), flipped(sig));
      expect(openssl(...withMsg(dgstVerify(md, key))(file)).ok).toBe(false);
    }
  });

  it('signs Ed25519 that openssl verifies', async () => {
    await signAndAskOpenssl('ed25519', S.ed25519, [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      'ed25519.pub.pem',
      '-rawin',
      '-in',
      'msg',
      '-sigfile',
    ]);
  });

  it('signs RSA-PSS (rsae and pss keys) that openssl verifies, or refuses RSA (noble)', async () => {
    if (name === 'noble') {
      await expect(provider.signingKey({ pkcs8: pkcs8('rsa') })).rejects.toMatchObject({
        code: 'CONFIG',
      });
      return;
    }
    for (const [key, scheme, md] of [
      ['rsa', S.rsa_pss_rsae_sha256, '-sha256'],
      ['rsa', S.rsa_pss_rsae_sha384, '-sha384'],
      ['rsa', S.rsa_pss_rsae_sha512, '-sha512'],
      ['rsapss', S.rsa_pss_pss_sha256, '-sha256'],
      ['rsapss256', S.rsa_pss_pss_sha256, '-sha256'],
    ] as const) {
      const signer = await provider.signingKey({ pkcs8: pkcs8(key) });
      const sig = await signer.sign(scheme, message);
      const file = `${name}-${key}-${scheme}.sig`;
      writeFileSync(path(file), sig);
      const args = withMsg(dgstVerify(md, key, ...PSS))(file);
      const good = openssl(...args);
      expect(good.output).toContain('Verified OK');
      writeFileSync(path(file), flipped(sig));
      expect(openssl(...args).ok).toBe(false);
    }
    // A PSS key restricted to SHA-256 offers only rsa_pss_pss_sha256.
    const restricted = await provider.signingKey({ pkcs8: pkcs8('rsapss256') });
    expect(restricted.schemes).toEqual([S.rsa_pss_pss_sha256]);
  });

  it.each([
    ['X25519', NamedGroup.x25519, 'x25519', 32],
    ['secp256r1', NamedGroup.secp256r1, 'p256', 65],
    ['secp384r1', NamedGroup.secp384r1, 'p384', 97],
  ] as const)('%s: secrets agree with openssl pkeyutl -derive', async (_g, group, key, len) => {
    const kx = provider.keyExchange(group)!;
    // The openssl key's public value is the tail of its SubjectPublicKeyInfo.
    const opensslShare = spki(key).subarray(spki(key).length - len);
    const { share, secret } = await kx.encapsulate(opensslShare);
    // Our share, wrapped in the same SPKI header openssl uses for that curve.
    const header = spki(key).subarray(0, spki(key).length - len);
    writeFileSync(path(`${name}-${key}.peer.der`), concat(header, share));
    must(
      'pkeyutl',
      '-derive',
      '-inkey',
      `${key}.pem`,
      '-peerkey',
      `${name}-${key}.peer.der`,
      '-peerform',
      'DER',
      '-out',
      `${name}-${key}.secret`,
    );
    expect(toHex(secret)).toBe(toHex(read(`${name}-${key}.secret`)));
    expect(secret.length).toBe(group === NamedGroup.secp384r1 ? 48 : 32);
  });

  it('rejects the non-point (0, 0) as a P-256 share', async () => {
    const kx = provider.keyExchange(NamedGroup.secp256r1)!;
    const bad = fromHex(`04${'00'.repeat(64)}`);
    await expect(kx.encapsulate(bad)).rejects.toMatchObject({ code: 'ILLEGAL_PARAMETER' });
  });
});

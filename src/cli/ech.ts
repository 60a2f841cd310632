/**
 * `webtls ech`: generates an ECH key for a client-facing server, in the spirit of `openssl ech`.
 * The key file is the PEM layout `openssl ech -out` writes (PKCS#8 X25519 PRIVATE KEY, then an
 * ECHCONFIG block with the base64 ECHConfigList); the ECHConfigList also goes to stdout in
 * base64, ready for the `ech` SvcParam of an HTTPS DNS record (RFC 9460).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { encodeEchConfigList, type HpkeSymmetricCipherSuite } from '../ech/config.ts';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  DEFAULT_ECH_SUITES,
  KDF_HKDF_SHA256,
} from '../ech/hpke.ts';
import { echKeyToPem, generateEchKey } from '../ech/keys.ts';
import { toBase64 } from '../util/bytes.ts';
import { type FlagSpec, parseFlags, stringFlag, UsageError } from './args.ts';

export const ECH_USAGE = `usage: webtls ech -public_name NAME -out FILE [options]
  -public_name NAME   the client-facing server's DNS name (ECHConfig public_name)
  -out FILE           where to write the key file (PEM, created with mode 0600)
  -config_id N        config_id, 0..255 (default: random)
  -max_name_len N     maximum_name_length, 0..255 (default: 0, unknown)
  -suite LIST         HPKE AEADs offered, comma-separated: aes128gcm, chachapoly1305
                      (default: aes128gcm,chachapoly1305; KEM X25519, KDF HKDF-SHA256)
  -help               this text
Prints the ECHConfigList in base64 on stdout.`;

const FLAGS: FlagSpec = {
  public_name: 'string',
  out: 'string',
  config_id: 'string',
  max_name_len: 'string',
  suite: 'string',
  help: 'boolean',
};

/** Runs `webtls ech` with `argv` (after the command name); resolves with the exit status. */
export async function ech(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(`${ECH_USAGE}\n`);
    return 0;
  }
  const publicName = stringFlag(flags, 'public_name');
  const out = stringFlag(flags, 'out');
  if (!publicName) throw new UsageError('-public_name is required');
  if (!out) throw new UsageError('-out is required');
  const configId = byteFlag(flags, 'config_id');
  const maximumNameLength = byteFlag(flags, 'max_name_len');
  const suites = suitesFlag(stringFlag(flags, 'suite'));

  const key = await generateEchKey({ publicName, configId, maximumNameLength, suites });
  // The file holds a private key: create it owner-only, and tighten a file that already existed.
  writeFileSync(out, echKeyToPem(key), { mode: 0o600 });
  chmodSync(out, 0o600);
  process.stdout.write(`${toBase64(encodeEchConfigList([key.config]))}\n`);
  return 0;
}

function byteFlag(flags: ReturnType<typeof parseFlags>, name: string): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) {
    throw new UsageError(`-${name} must be a number from 0 to 255`);
  }
  return Number(text);
}

function suitesFlag(text: string | undefined): HpkeSymmetricCipherSuite[] {
  if (text === undefined) return DEFAULT_ECH_SUITES.map((s) => ({ ...s }));
  const out: HpkeSymmetricCipherSuite[] = [];
  for (const name of text.split(',')) {
    const aeadId =
      name === 'aes128gcm'
        ? AEAD_AES_128_GCM
        : name === 'chachapoly1305'
          ? AEAD_CHACHA20_POLY1305
          : undefined;
    if (aeadId === undefined) throw new UsageError(`unknown -suite entry '${name}'`);
    if (!out.some((s) => s.aeadId === aeadId)) out.push({ kdfId: KDF_HKDF_SHA256, aeadId });
  }
  return out;
}

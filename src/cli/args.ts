/**
 * Command-line flags in the style of `openssl s_client` / `s_server`: one dash, the value in the
 * next argument (`-connect host:443`), boolean flags standing alone (`-quiet`).
 */

/**
 * How each flag of a command takes its value: one value (the last one given wins), none, or
 * one value per occurrence (`'repeat'`, e.g. `-ech_key a.pem -ech_key b.pem`).
 */
export type FlagSpec = Readonly<Record<string, 'string' | 'boolean' | 'repeat'>>;

/**
 * Parsed flags: strings for valued flags, `true` for boolean ones that were given, arrays for
 * repeatable ones.
 */
export type ParsedFlags = Record<string, string | true | string[]>;

/** A usage error, reported with the command's help and exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses `argv` against `spec`. Throws UsageError on an unknown flag or a missing value. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') throw new UsageError(`unexpected argument '${arg}'`);
    const name = arg.replace(/^--?/, '');
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option '${arg}'`);
    if (kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`option '${arg}' needs a value`);
    if (kind === 'repeat') {
      const list = out[name];
      out[name] = Array.isArray(list) ? [...list, value] : [value];
    } else {
      out[name] = value;
    }
    i++;
  }
  return out;
}

/** A string flag's value, or undefined. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable flag, in order (empty when it was not given). */
export function listFlag(flags: ParsedFlags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : [];
}

/** A host and a port. `host` is bare (no brackets around an IPv6 address). */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or, when `defaultHost` is given, a bare `PORT`.
 * Throws UsageError on anything else.
 */
export function parseHostPort(text: string, defaultHost?: string): HostPort {
  let host: string | undefined;
  let portText: string;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else if (/^\d+$/.test(text) && defaultHost !== undefined) {
    host = defaultHost;
    portText = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0 || text.indexOf(':') !== colon) {
      throw new UsageError(`'${text}' is not HOST:PORT (write an IPv6 address as [addr]:port)`);
    }
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) throw new UsageError(`'${portText}' is not a port number`);
  const port = Number(portText);
  if (port > 65535) throw new UsageError(`port ${port} is out of range`);
  return { host, port };
}

/** Parses a non-negative whole number of bytes given to `flag`; throws UsageError otherwise. */
export function parseByteCount(text: string, flag: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) {
    throw new UsageError(`${flag} needs a byte count (0 to 4294967295)`);
  }
  return Number(text);
}

/** Splits an openssl-style list (`a:b:c`, commas also accepted), dropping empty items. */
export function splitList(text: string): string[] {
  return text
    .split(/[:,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Splits an ALPN list (`h2,http/1.1`; commas only, since protocol ids may contain ':'). */
export function splitAlpn(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

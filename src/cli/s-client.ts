/**
 * `webtls s_client`: connect, handshake, print a summary to stderr, then copy stdin to the
 * connection and the connection to stdout.
 */

import { certifiedKeyFromPem } from '../certified-key.ts';
import { fipsSuite } from '../crypto/fips-policy.ts';
import { decodeEchConfigList } from '../ech/config.ts';
import { TlsError } from '../error.ts';
import { tcpTransport } from '../node/index.ts';
import type { ConnectOptions } from '../streams/index.ts';
import { connect } from '../streams/index.ts';
import { fromBase64 } from '../util/bytes.ts';
import { webpkiVerifier } from '../verify/webpki.ts';
import {
  type FlagSpec,
  parseFlags,
  parseHostPort,
  splitAlpn,
  splitList,
  stringFlag,
  UsageError,
} from './args.ts';
import { CERT_COMP_FLAGS, CERT_COMP_USAGE, certCompressionFromFlags } from './cert-comp.ts';
import {
  chooseProvider,
  errorLine,
  keyLogTo,
  pipeToNode,
  readBytes,
  readText,
  sleep,
} from './common.ts';
import { checkFipsFlags } from './fips.ts';
import { combinedSuites, parseGroups } from './names.ts';
import {
  RECORD_SIZE_FLAGS,
  RECORD_SIZE_USAGE,
  recordPaddingFromFlags,
  recordSizeLimitFromFlags,
} from './record-size.ts';
import { SessionFileStore } from './session-file.ts';
import { echRejectedLines, summaryLines } from './summary.ts';
import { REVOCATION_FLAGS, REVOCATION_USAGE, revocationFromFlags } from './verify-flags.ts';

/** How long to wait for the server's close_notify after ours (stdin EOF). */
const CLOSE_GRACE_MS = 2000;

const FLAGS: FlagSpec = {
  connect: 'string',
  servername: 'string',
  CAfile: 'string',
  alpn: 'string',
  tls1_3: 'boolean',
  tls1_2: 'boolean',
  cipher: 'string',
  groups: 'string',
  curves: 'string',
  ciphersuites: 'string',
  keylogfile: 'string',
  sess_in: 'string',
  sess_out: 'string',
  early_data: 'string',
  provider: 'string',
  quiet: 'boolean',
  help: 'boolean',
  cert: 'string',
  key: 'string',
  ech_config_list: 'string',
  ech_grease: 'boolean',
  ...CERT_COMP_FLAGS,
  ...RECORD_SIZE_FLAGS,
  ...REVOCATION_FLAGS,
};

/** The help text for `webtls s_client`. */
export const CLIENT_USAGE = `usage: webtls s_client -connect HOST:PORT [options]
  -connect HOST:PORT    server to dial ([::1]:443 for IPv6)
  -servername NAME      name to send as SNI and to verify (default: the host dialled;
                        an IP address is verified against IP SANs and not sent as SNI)
  -CAfile FILE          PEM trust anchors (default: bundled Mozilla roots)
  -alpn LIST            ALPN protocols, comma-separated (h2,http/1.1)
  -tls1_3               TLS 1.3 only
  -tls1_2               TLS 1.2 only (default: TLS 1.3 or 1.2)
  -groups LIST          key-exchange groups in order: X25519MLKEM768:X25519:P-256:P-384
  -ciphersuites LIST    TLS 1.3 suites in order, IANA names, colon-separated
  -cipher LIST          TLS 1.2 suites in order, OpenSSL names (ECDHE-ECDSA-AES128-GCM-SHA256)
  -keylogfile FILE      append SSLKEYLOGFILE lines (anyone holding them can decrypt)
  -sess_out FILE        write the session the server offers for resumption (PEM
                        'WEBTLS SESSION', mode 0600: it holds the session's secret)
  -sess_in FILE         offer the session in FILE (from -sess_out) to resume it
  -early_data FILE      TLS 1.3 0-RTT: send FILE's bytes with the ClientHello when the
                        -sess_in session allows early data; the summary's "Early data:" line
                        says accepted, rejected (not sent again) or not sent. An attacker can
                        replay early data: send only what is safe to repeat
  -provider NAME        crypto provider: subtle (default), noble, node (node:crypto, the
                        fastest on Node), or fips (FIPS 140-3 approved algorithms only,
                        through WebCrypto: AES-GCM, P-256/P-384, ECDSA and RSA >= 2048 with
                        SHA-2; a non-approved -groups or suite is a usage error). The
                        summary's "FIPS:" line says whether the connection ran in FIPS mode
  -quiet                do not print the connection summary
  -cert FILE -key FILE  a client certificate chain (PEM, leaf first) and its key, sent when
                        the server asks (-key defaults to -cert)
  -ech_config_list B64  Encrypted Client Hello (TLS 1.3 only) with the server's ECHConfigList in
                        base64 (its HTTPS DNS record's ech value): -servername travels encrypted,
                        the outer hello names the config's public name. If the server rejects
                        ECH, the handshake fails after printing "ECH: rejected (...)" and, when it
                        sent some, "ECH retry configs: B64" to retry with; exit status 1
  -ech_grease           send a GREASE ECH extension, so ECH users blend in
${CERT_COMP_USAGE}
${RECORD_SIZE_USAGE}
${REVOCATION_USAGE}
At stdin EOF the client sends close_notify and exits once the server closed (at most ~2 s).`;

/** Runs s_client; resolves with the exit status. */
export async function sClient(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(`${CLIENT_USAGE}\n`);
    return 0;
  }
  const target = stringFlag(flags, 'connect');
  if (!target) throw new UsageError('-connect HOST:PORT is required');
  const { host, port } = parseHostPort(target);
  const options = clientOptions(flags, host);
  const certPath = stringFlag(flags, 'cert');
  if (certPath) {
    options.clientCertificate = await certifiedKeyFromPem(
      readText(certPath, 'certificate'),
      readText(stringFlag(flags, 'key') ?? certPath, 'private key'),
      options.provider!,
    );
  } else if (stringFlag(flags, 'key')) {
    throw new UsageError('-key needs -cert');
  }

  let tls: ReturnType<typeof connect> | undefined;
  try {
    const transport = await tcpTransport(host, port);
    tls = connect(transport, options);
    const info = await tls.opened;
    if (!flags.quiet) process.stderr.write(`${summaryLines(info).join('\n')}\n`);
    await exchange(tls);
    // Checked at the end: TLS 1.3 tickets arrive after the handshake (RFC 8446 §4.6.1).
    const store = options.sessionStore;
    if (store instanceof SessionFileStore && stringFlag(flags, 'sess_out') && store.written === 0) {
      process.stderr.write(
        'note: the server offered no session to resume; -sess_out not written\n',
      );
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${errorLine(error)}\n`);
    if (error instanceof TlsError && error.code === 'ECH_REQUIRED') {
      process.stderr.write(`${echRejectedLines(error).join('\n')}\n`);
    }
    await tls?.close();
    return 1;
  }
}

function clientOptions(flags: ReturnType<typeof parseFlags>, host: string): ConnectOptions {
  const options: ConnectOptions = {
    serverName: stringFlag(flags, 'servername') ?? host,
    provider: chooseProvider(stringFlag(flags, 'provider')),
    keyLog: keyLogTo(stringFlag(flags, 'keylogfile')),
  };
  const sessIn = stringFlag(flags, 'sess_in');
  const sessOut = stringFlag(flags, 'sess_out');
  // Without either flag, sessions stay in memory for this one connection (none to resume).
  if (sessIn || sessOut) options.sessionStore = new SessionFileStore(sessIn, sessOut);
  const earlyData = stringFlag(flags, 'early_data');
  if (earlyData) {
    // Like openssl: the bytes go early or not at all; rejected data is not sent again.
    options.earlyData = readBytes(earlyData, 'early data file');
    options.resendEarlyData = false;
  }
  echFromFlags(flags, options);
  const certCompression = certCompressionFromFlags(flags);
  if (certCompression) options.certCompression = certCompression;
  const recordSizeLimit = recordSizeLimitFromFlags(flags);
  if (recordSizeLimit !== undefined) options.recordSizeLimit = recordSizeLimit;
  const recordPadding = recordPaddingFromFlags(flags);
  if (recordPadding !== undefined) options.recordPadding = recordPadding;
  const caFile = stringFlag(flags, 'CAfile');
  if (caFile) options.roots = [readText(caFile, 'CA file')];
  const revocation = revocationFromFlags(flags);
  if (revocation) options.verifier = webpkiVerifier({ roots: options.roots, revocation });
  const alpn = stringFlag(flags, 'alpn');
  if (alpn) options.alpnProtocols = splitAlpn(alpn);
  const groups = stringFlag(flags, 'groups') ?? stringFlag(flags, 'curves');
  if (groups) options.groups = parseGroups(splitList(groups));
  const suites = stringFlag(flags, 'ciphersuites');
  const ciphers = stringFlag(flags, 'cipher');
  const list = combinedSuites(
    suites ? splitList(suites) : undefined,
    ciphers ? splitList(ciphers) : undefined,
    options.provider!.fips ? fipsSuite : undefined,
  );
  if (list) options.cipherSuites = list;
  checkFipsFlags(options.provider!, options.groups, options.cipherSuites);
  if (flags.tls1_3 && flags.tls1_2) throw new UsageError('-tls1_2 and -tls1_3 exclude each other');
  if (flags.tls1_3) {
    options.minVersion = 'TLSv1.3';
    options.maxVersion = 'TLSv1.3';
  }
  if (flags.tls1_2) {
    options.minVersion = 'TLSv1.2';
    options.maxVersion = 'TLSv1.2';
  }
  return options;
}

/** `-ech_config_list B64` / `-ech_grease`: Encrypted Client Hello (draft-ietf-tls-esni). */
function echFromFlags(flags: ReturnType<typeof parseFlags>, options: ConnectOptions): void {
  const list = stringFlag(flags, 'ech_config_list');
  if (list !== undefined && flags.ech_grease) {
    throw new UsageError('-ech_config_list and -ech_grease exclude each other');
  }
  if (flags.ech_grease) options.ech = { grease: true };
  if (list === undefined) return;
  if (list.trim() === '') throw new UsageError('-ech_config_list is empty');
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(list);
    // Checked here for a clear usage error; the engine decodes it again when it connects.
    decodeEchConfigList(bytes);
  } catch (error) {
    const reason = error instanceof Error ? `: ${error.message}` : '';
    throw new UsageError(`-ech_config_list is not a base64 ECHConfigList${reason}`);
  }
  options.ech = { configList: bytes };
}

/**
 * Copies stdin → connection and connection → stdout. Ends when the server closes, or, after
 * stdin EOF and our close_notify, when the server answers or the grace period runs out.
 */
async function exchange(tls: ReturnType<typeof connect>): Promise<void> {
  const received = pipeToNode(tls.readable, process.stdout);
  received.catch(() => undefined);

  const sent = (async () => {
    const writer = tls.writable.getWriter();
    for await (const chunk of process.stdin) {
      const bytes = chunk as Buffer;
      await writer.write(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    await writer.close();
  })();
  sent.catch(() => undefined);

  // 1. Whichever comes first: the server ends the connection, or stdin ends. When sending
  //    fails, the connection's reason (often the server's alert) comes from the reading side.
  const first = await Promise.race([
    received.then(() => 'server closed' as const),
    sent.then(
      () => 'stdin closed' as const,
      async (error: unknown) => {
        await received;
        throw error;
      },
    ),
  ]);

  // 2. After our close_notify, give the server a moment to finish and answer. A server that
  //    then drops the connection without its own close_notify (RFC 8446 §6.1 asks for one;
  //    BoringSSL's bssl-tool does not send it) is noted, not an error: we had finished.
  if (first === 'stdin closed') {
    const answered = await Promise.race([
      received.then(
        () => true,
        (error: unknown) => {
          if (!(error instanceof TlsError && error.code === 'TRUNCATED')) throw error;
          process.stderr.write('note: server closed without close_notify after ours\n');
          return true;
        },
      ),
      sleep(CLOSE_GRACE_MS).then(() => false),
    ]);
    if (!answered) process.stderr.write('note: server did not close within 2 s\n');
  }
  await tls.close();
}

/**
 * A Deno program that fetches a page over TLS made by webtls, on a TCP connection from
 * `Deno.connect`, and keeps the session tickets in Deno KV, so the next run resumes the TLS
 * session (`Resumed: yes`), as would another process or isolate sharing the KV.
 *
 *   deno run --unstable-kv --allow-net=HOST --allow-read --allow-write=KVDIR \
 *     workers/deno-example.ts HOST PORT [--path /] [--server-name NAME] [--ca FILE] [--kv FILE]
 *
 * `--ca` reads trust anchors from a PEM file (default webtls' bundled roots); `--kv` is the KV
 * file (default Deno's own KV location); `--server-name` is the name the certificate must
 * carry, sent as SNI (default HOST). Prints `Status:` (code and reason), `Protocol:`,
 * `Resumed: yes|no`, then the body; exits 1 on a failure. Run it from the repository root
 * (deno.json resolves the npm packages from node_modules). See docs/examples.md.
 */
import { connect, DenoKvSessionStore, denoTcpTransport, type KvLike } from '../src/deno/index.ts';
import { request } from '../web/src/http1.ts';

/** The Deno APIs this program uses, typed here so tsc under Node (no Deno types) accepts it. */
declare const Deno: {
  args: string[];
  openKv(path?: string): Promise<KvLike & { close(): void }>;
  readTextFile(path: string): Promise<string>;
  exit(code: number): never;
};

/** The longest the connect, the handshake and the response may take together. */
const TIMEOUT_MS = 15_000;

/** The command line: HOST PORT, then `--name value` options. */
function parseArgs(args: string[]) {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      flags[arg.slice(2)] = value;
    } else {
      positional.push(arg);
    }
  }
  const [host, portText] = positional;
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(
      'usage: deno-example.ts HOST PORT [--path P] [--server-name N] [--ca F] [--kv F]',
    );
  }
  return {
    host,
    port,
    path: flags.path ?? '/',
    serverName: flags['server-name'] ?? host,
    ca: flags.ca,
    kvPath: flags.kv,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args);
  const roots = args.ca ? [await Deno.readTextFile(args.ca)] : undefined;
  const kv = await Deno.openKv(args.kvPath);
  try {
    const transport = await denoTcpTransport(args.host, args.port, { timeoutMs: TIMEOUT_MS });
    const tls = connect(transport, {
      serverName: args.serverName,
      roots,
      sessionStore: new DenoKvSessionStore(kv),
    });
    const timer = setTimeout(() => void tls.close(), TIMEOUT_MS);
    try {
      const info = await tls.opened;
      const response = await request(tls, { path: args.path, host: args.serverName });
      console.log(`Status: ${response.status} ${response.statusText}`);
      console.log(`Protocol: ${info.protocol}`);
      console.log(`Resumed: ${info.resumed ? 'yes' : 'no'}`);
      console.log('');
      console.log(new TextDecoder().decode(response.body));
    } finally {
      clearTimeout(timer);
      await tls.close();
    }
  } finally {
    kv.close();
  }
}

main().catch((error) => {
  console.error(`deno-example: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
});

/** The `webtls` command: `webtls s_client ...` and `webtls s_server ...`. */
import { TlsError } from '../error.ts';
import { UsageError } from './args.ts';
import { errorLine } from './common.ts';
import { ECH_USAGE, ech } from './ech.ts';
import { CLIENT_USAGE, sClient } from './s-client.ts';
import { SERVER_USAGE, sServer } from './s-server.ts';

const USAGE = `usage: webtls <command> [options]
commands:
  s_client   connect to a TLS server (flags shaped after openssl s_client)
  s_server   run a TLS server (flags shaped after openssl s_server)
  ech        generate an ECH key file and ECHConfigList (like openssl ech)
Run 'webtls <command> -help' for its options.`;

/** Runs the command in `argv` (without node and script) and resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 's_client':
        return await sClient(rest);
      case 's_server':
        return await sServer(rest);
      case 'ech':
        return await ech(rest);
      case undefined:
      case '-help':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const usage =
        command === 's_client'
          ? CLIENT_USAGE
          : command === 's_server'
            ? SERVER_USAGE
            : command === 'ech'
              ? ECH_USAGE
              : USAGE;
      process.stderr.write(`webtls: ${error.message}\n${usage}\n`);
      return 2;
    }
    process.stderr.write(`${errorLine(error)}\n`);
    return error instanceof TlsError ? 1 : 3;
  }
}

// A reader that went away (`webtls s_client ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  process.exit(error.code === 'EPIPE' ? 0 : 1);
});

const code = await main(process.argv.slice(2));
process.exit(code);

/**
 * `s_client -sess_in FILE` / `-sess_out FILE`: a ClientSessionStore backed by one file.
 *
 * The file is PEM text, one `-----BEGIN WEBTLS SESSION-----` block holding the portable binary
 * StoredSession (src/sessions/stored-session.ts: version, suite, master secret or resumption
 * PSK, ticket or session ID, lifetime, ALPN, EMS flag, the server's chain). It contains the
 * session's secret: whoever reads it can resume the session and decrypt what the resumed
 * connection carries. It is written with mode 0600; keep it like a private key.
 */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import type { ClientSessionStore } from '../sessions/client-store.ts';
import { type StoredSession, sessionFromPem, sessionToPem } from '../sessions/stored-session.ts';
import { UsageError } from './args.ts';
import { readText } from './common.ts';

/**
 * Offers the `-sess_in` session once; writes every session the connection yields to `-sess_out`.
 */
export class SessionFileStore implements ClientSessionStore {
  private incoming: StoredSession | undefined;
  /** How many sessions were written to the out file. */
  written = 0;

  constructor(
    inFile: string | undefined,
    private readonly outFile: string | undefined,
  ) {
    if (inFile) {
      try {
        this.incoming = sessionFromPem(readText(inFile, 'session file'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`session file '${inFile}': ${(error as Error).message}`);
      }
    }
  }

  async take(_key: string): Promise<StoredSession | undefined> {
    // The engine checks that the session was made for the name dialled; used once.
    const session = this.incoming;
    this.incoming = undefined;
    return session;
  }

  async put(_key: string, session: StoredSession): Promise<void> {
    if (!this.outFile) return;
    // Created 0600, and made 0600 if it already existed, before the secret goes in.
    const fd = openSync(this.outFile, 'w', 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, sessionToPem(session));
    } finally {
      closeSync(fd);
    }
    this.written++;
  }
}

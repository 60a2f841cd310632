/**
 * Headless Chromium (Debian's package, through playwright-core) in a throw-away profile whose
 * NSS database trusts chosen test roots. Certificate verification stays on: Chromium builds and
 * checks the path to those roots itself, names included.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** The browser binary; WEBTLS_CHROMIUM overrides it, as in vitest.browser.config.ts. */
export const CHROMIUM = process.env.WEBTLS_CHROMIUM ?? '/usr/bin/chromium';

/** NSS's certutil (libnss3-tools), which writes the profile's trust store. */
export const CERTUTIL = 'certutil';

/** Flags for a quiet, loopback-only browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  // Running as root in a container: the sandbox needs user namespaces we do not have.
  '--no-sandbox',
  '--disable-gpu',
  // No traffic of its own (component updates, sync, safe browsing lists, first-run pages).
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // TCP only: no QUIC attempt to the test server.
  '--disable-quic',
  // `localhost` resolves to 127.0.0.1 only, never ::1, so every connection reaches the server.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];

const LAUNCH_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

/** A running browser and the directory holding its profile and trust store. */
export interface Chromium {
  context: BrowserContext;
  /** Closes the browser (bounded) and deletes its directory. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile. `trustedRoots` (PEM files) go into an NSS
 * database under a private $HOME (`$HOME/.pki/nssdb`, where Chromium on Linux looks for locally
 * trusted anchors); with none, nothing beyond Chromium's built-in roots is trusted.
 */
export async function launchChromium(trustedRoots: readonly string[] = []): Promise<Chromium> {
  const dir = mkdtempSync(join(tmpdir(), 'webtls-chromium-'));
  try {
    const home = join(dir, 'home');
    const nssdb = join(home, '.pki', 'nssdb');
    mkdirSync(nssdb, { recursive: true });
    const db = `sql:${nssdb}`;
    execFileSync(CERTUTIL, ['-N', '-d', db, '--empty-password'], { stdio: 'pipe' });
    trustedRoots.forEach((pemFile, i) => {
      // Trust flags "C,,": a CA trusted to issue server certificates (TLS), nothing else.
      const nick = `webtls test root ${i}`;
      execFileSync(CERTUTIL, ['-A', '-d', db, '-n', nick, '-t', 'C,,', '-i', pemFile], {
        stdio: 'pipe',
      });
    });

    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      env: { ...process.env, HOME: home },
      timeout: LAUNCH_TIMEOUT_MS,
    });
    return {
      context,
      async close() {
        try {
          await withTimeout(context.close(), CLOSE_TIMEOUT_MS, 'closing Chromium');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Resolves like `promise`, or rejects after `ms` naming `what`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

/**
 * The runtime-neutral unit suite (test/unit/**) in headless Chromium, and the browser-only tests
 * (test/browser/**: APIs Node lacks, such as IndexedDB). It uses Debian's chromium rather than a
 * browser downloaded by Playwright; set WEBTLS_CHROMIUM to use another binary.
 * No globalSetup: unit tests need no PKI or peers.
 */
export default defineConfig({
  test: {
    name: 'browser',
    include: ['test/unit/**/*.test.ts', 'test/browser/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    browser: {
      enabled: true,
      headless: true,
      ui: false,
      screenshotFailures: false,
      // The page and the test runner talk over this server; keep it on loopback.
      api: { host: '127.0.0.1', port: 63315, strictPort: false },
      provider: playwright({
        launchOptions: {
          executablePath: process.env.WEBTLS_CHROMIUM ?? '/usr/bin/chromium',
          args: [
            // Running as root in a container: chromium's sandbox needs user namespaces.
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});

/**
 * Prints what Chromium offers in its ClientHello, decoded by webtls's codec, and what the server
 * negotiated: `npx tsx e2e/print-chromium-hello.ts` (needs the test PKI: run
 * `bash scripts/gen-test-pki.sh` first). Used to keep docs/interop.md's Chromium section current.
 */
import { certFiles, ROOT } from '../test/interop/peers/pki.ts';
import { loadCert } from '../test/interop/peers/webtls.ts';
import { launchChromium } from './chromium.ts';
import { clientHelloFacts, formatClientHelloFacts } from './client-hello-facts.ts';
import { startWwwServer } from './www-server.ts';

const server = await startWwwServer({
  certificates: [await loadCert(certFiles('p256'))],
  alpnProtocols: ['http/1.1'],
});
const browser = await launchChromium([ROOT]);
try {
  const page = await browser.context.newPage();
  const response = await page.goto(`https://localhost:${server.port}/`, { timeout: 15_000 });
  console.log(`status: ${response?.status()}`);
  const version =
    browser.context.browser()?.version() ?? (await page.evaluate('navigator.userAgent'));
  console.log(`browser: ${version}`);
  for (const session of server.sessions) {
    const info = session.info;
    console.log(`\nconnection ${session.id}: ${session.requestLine ?? '(no request yet)'}`);
    console.log(`negotiated: ${info?.protocol} ${info?.cipherSuite} ${info?.group}`);
    if (session.clientHello) {
      for (const line of formatClientHelloFacts(clientHelloFacts(session.clientHello))) {
        console.log(`  ${line}`);
      }
    }
  }
} finally {
  await browser.close();
  await server.close();
}

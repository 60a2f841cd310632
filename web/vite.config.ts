import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const webRoot = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(webRoot, '..');

/**
 * The packages the library's core imports. Listed so that Vite pre-bundles them all at start-up:
 * a dependency discovered only when the page first asks for it makes Vite re-optimise and reload
 * the page, which a visitor (or the e2e test) would see as a lost click.
 */
const CORE_DEPENDENCIES = [
  '@noble/ciphers/aes.js',
  '@noble/ciphers/chacha.js',
  '@noble/curves/ed25519.js',
  '@noble/curves/nist.js',
  '@noble/hashes/hmac.js',
  '@noble/hashes/legacy.js',
  '@noble/hashes/sha2.js',
  '@noble/hashes/utils.js',
  '@noble/post-quantum/ml-kem.js',
];

/**
 * Vite config for the browser pages in web/ (the demo is `index.html`). The pages import the
 * library's TypeScript sources directly (`../../src/web/index.ts`); there is no library build.
 * `npm start` (scripts/demo.ts) runs this config programmatically and adds the demo's settings.
 */
export default defineConfig({
  root: webRoot,
  // Its own pre-bundle cache, apart from the one vitest's browser mode keeps.
  cacheDir: resolve(repoRoot, 'node_modules/.vite-web'),
  server: {
    host: '127.0.0.1',
    strictPort: true,
    // The pages import from src/, outside this root.
    fs: { allow: [repoRoot] },
  },
  preview: { host: '127.0.0.1' },
  optimizeDeps: {
    // Pre-bundled before the first request; the repo's own sources are served as they are.
    include: CORE_DEPENDENCIES,
  },
  build: {
    outDir: resolve(repoRoot, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
  },
});

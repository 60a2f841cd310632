import { defineConfig } from 'vite';

/**
 * Vite config for the browser demo in web/ (filled in by the runtimes-and-transports work). The
 * library itself needs no build step: its entry points are the TypeScript sources.
 */
export default defineConfig({
  root: 'web',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
});

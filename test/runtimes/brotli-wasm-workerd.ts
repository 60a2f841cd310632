/**
 * `brotli-wasm` inside workerd (scripts/test-workerd.ts aliases the package here). workerd cannot
 * compile WebAssembly from bytes at run time, and the web build's default `init()` fetches its
 * .wasm by URL; so the .wasm is imported as a module (a CompiledWasm module in the Worker) and
 * handed to `init()`. The package's `exports` map has only ".", hence the paths into it. The
 * same recipe serves a Worker that enables brotli (docs/cert-compression.md).
 */
import init, * as brotliWasm from '../../node_modules/brotli-wasm/pkg.web/brotli_wasm.js';
import wasmModule from '../../node_modules/brotli-wasm/pkg.web/brotli_wasm_bg.wasm';

export default init(wasmModule as WebAssembly.Module).then(() => brotliWasm);

/**
 * Bundle size of each entry point of the package, and of the JavaScript TLS libraries it is
 * compared with, as an application's bundler would ship them: esbuild, ESM, everything bundled
 * (dependencies too), tree-shaken, minified, then gzipped (node:zlib, level 9).
 *
 * - `.`, `./web`, `./workers`: platform browser (`cloudflare:sockets` external for workers);
 * - `./node`, `./node/tls`: platform node (Node's builtins are external, as they are there);
 * - `./deno`: platform neutral with browser conditions (Deno has the web APIs, not Node's);
 * - subtls, @reclaimprotocol/tls (with its WebCrypto backend) and node-forge's TLS (with its AES
 *   suites): platform browser, Node builtins external (they reach for `crypto` only where
 *   WebCrypto is missing, or, for reclaim, import it and expect an alias in browsers).
 *
 * Each bundle exports the whole entry (`export * from ...`), so the size is what the entry
 * offers, not what one application would keep after tree-shaking its own use. Bundles are split
 * (esbuild `splitting`): what an entry imports dynamically — webtls's bundled Mozilla roots,
 * loaded only by a verifier without `roots`; brotli-wasm — is a chunk of its own, counted apart
 * as "on demand".
 *
 * The core bundle's bytes are also split by where they come from (esbuild's metafile): each
 * top-level directory of src/ and each package under node_modules, minified bytes in the output.
 *
 * Run: `npm run bench -- --only size` (or node --import tsx bench/size.ts [--quick]).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { formatNumber, type ResultRow, writeResults } from './lib/results.ts';
import { progress } from './lib/sample.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

interface Bundle {
  name: string;
  /** The module whose exports the bundle re-exports (a package specifier or a path). */
  source: string;
  platform: BuildOptions['platform'];
  external: string[];
  /** Modules imported for their effect alongside (a library's pluggable parts). */
  also?: string[];
  conditions?: string[];
}

const BUNDLES: Bundle[] = [
  { name: 'webtls (.)', source: './src/index.ts', platform: 'browser', external: [] },
  { name: 'webtls/web', source: './src/web/index.ts', platform: 'browser', external: [] },
  {
    name: 'webtls/workers',
    source: './src/workers/index.ts',
    platform: 'browser',
    external: ['cloudflare:sockets'],
  },
  {
    name: 'webtls/deno',
    source: './src/deno/index.ts',
    platform: 'neutral',
    external: [],
    conditions: ['deno', 'browser', 'import', 'default'],
  },
  { name: 'webtls/node', source: './src/node/index.ts', platform: 'node', external: [] },
  { name: 'webtls/node/tls', source: './src/node/tls/index.ts', platform: 'node', external: [] },
  { name: 'subtls', source: 'subtls', platform: 'browser', external: NODE_BUILTINS },
  {
    name: '@reclaimprotocol/tls',
    source: '@reclaimprotocol/tls',
    also: ['@reclaimprotocol/tls/webcrypto'],
    platform: 'browser',
    external: NODE_BUILTINS,
  },
  {
    name: 'node-forge (tls)',
    source: 'node-forge/lib/tls.js',
    also: ['node-forge/lib/aesCipherSuites.js'],
    platform: 'browser',
    external: NODE_BUILTINS,
  },
];

interface Built {
  /** The entry chunk and the chunks it imports statically: what loads with the entry. */
  minified: number;
  gzipped: number;
  /** Chunks only imported dynamically, gzipped: what loads on demand. */
  onDemand: number;
  metafile: Metafile;
}

const gzipped = (code: Uint8Array) => gzipSync(code, { level: 9 }).length;

async function bundle(b: Bundle): Promise<Built> {
  const lines = [`export * from '${b.source}';`, ...(b.also ?? []).map((m) => `import '${m}';`)];
  // node-forge is CommonJS: `export *` of it exports nothing, so keep its namespace instead.
  if (b.source.startsWith('node-forge')) lines[0] = `export { default } from '${b.source}';`;
  // Code splitting needs a real entry file (not stdin); it resolves from the repository root.
  const dir = mkdtempSync(join(tmpdir(), 'webtls-size-'));
  const entry = join(ROOT, `.size-entry-${process.pid}.js`);
  writeFileSync(entry, lines.join('\n'));
  try {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      write: false,
      outdir: dir,
      format: 'esm',
      platform: b.platform,
      conditions: b.conditions,
      mainFields: b.platform === 'neutral' ? ['module', 'main'] : undefined,
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      external: b.external,
      metafile: true,
      absWorkingDir: ROOT,
      logLevel: 'error',
    });
    // The entry chunk, then everything reachable from it by static imports.
    const outputs = result.metafile.outputs;
    const byPath = new Map(result.outputFiles.map((f) => [f.path, f.contents]));
    const relative = (path: string) => join(ROOT, path);
    const eager = new Set<string>();
    const start = Object.keys(outputs).find((o) => outputs[o].entryPoint);
    const stack = start ? [start] : [];
    while (stack.length > 0) {
      const o = stack.pop()!;
      if (eager.has(o)) continue;
      eager.add(o);
      for (const i of outputs[o].imports) {
        if (i.kind === 'import-statement' && outputs[i.path]) stack.push(i.path);
      }
    }
    let minified = 0;
    let gz = 0;
    let onDemand = 0;
    for (const o of Object.keys(outputs)) {
      const code = byPath.get(relative(o));
      if (!code || o.endsWith('.map')) continue;
      if (eager.has(o)) {
        minified += code.length;
        gz += gzipped(code);
      } else {
        onDemand += gzipped(code);
      }
    }
    // Only the entry's own outputs count towards the origins (eager chunks).
    for (const o of Object.keys(outputs)) if (!eager.has(o)) delete outputs[o];
    return { minified, gzipped: gz, onDemand, metafile: result.metafile };
  } finally {
    rmSync(entry, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Directories counted apart from their parent: the bundled root store is most of src/verify. */
const APART = ['src/verify/roots/'];

/** Where an input of the bundle comes from: `src/<dir>`, a package, or the entry itself. */
function origin(input: string): string {
  const apart = APART.find((dir) => input.startsWith(dir));
  if (apart) return apart;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (pkg) return pkg[1];
  const src = /^src\/([^/]+)(\/)?/.exec(input);
  if (src) return src[2] ? `src/${src[1]}/` : `src/${src[1]}`;
  return input;
}

/** Minified output bytes by origin, largest first. */
function byOrigin(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = origin(input);
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const KB = 1000;
const rows: ResultRow[] = [];
const built = new Map<string, Built>();
for (const b of BUNDLES) {
  progress(`size: ${b.name}`);
  const result = await bundle(b);
  built.set(b.name, result);
  rows.push({
    scenario: `${b.name} (${b.platform})`,
    values: {
      minified: result.minified / KB,
      gzipped: result.gzipped / KB,
      'on demand, gzipped': result.onDemand / KB,
    },
  });
}

const core = built.get('webtls (.)')!;
const parts = byOrigin(core.metafile);
const share = (n: number) => `${((100 * n) / core.minified).toFixed(0)}%`;
const top = parts
  .slice(0, 12)
  .map(([name, bytes]) => `${name} ${formatNumber(bytes / KB)} kB (${share(bytes)})`);
const gz = (name: string) => built.get(name)!.gzipped;
const versus = ['subtls', '@reclaimprotocol/tls', 'node-forge (tls)']
  .map((name) => `${(core.gzipped / gz(name)).toFixed(1)}× ${name}`)
  .join(', ');
const roots =
  'On demand: the bundled Mozilla root store (src/verify/roots/mozilla.ts, base64 DER), which ' +
  'webpki.ts imports dynamically the first time a verifier without `roots` needs it ' +
  `(${formatNumber(core.onDemand / KB)} kB gzipped for the core), and lazily loaded codecs.`;

for (const [name, bytes] of parts.slice(0, 8))
  progress(`  ${name}: ${formatNumber(bytes / KB)} kB`);

writeResults('size', {
  title: 'Bundle size per entry point',
  unit: 'kB (1000 bytes)',
  higherIsBetter: false,
  columns: ['minified', 'gzipped', 'on demand, gzipped'],
  rows,
  notes: [
    'esbuild, ESM, target es2022, everything bundled and minified; gzip level 9. Each bundle ' +
      're-exports its whole entry, so it is what the entry offers, not what an application ' +
      'using part of it would keep.',
    'Platforms: browser for ., ./web, ./workers (cloudflare:sockets external) and the ' +
      'JavaScript libraries; node for ./node and ./node/tls (Node builtins external); neutral ' +
      'with deno/browser conditions for ./deno. The libraries keep Node builtins external ' +
      '(reached only where WebCrypto is missing; reclaim imports `crypto` and needs an alias).',
    `The core (.), gzipped, is ${versus}. @reclaimprotocol/tls bundles the Mozilla roots too; ` +
      'subtls and node-forge bundle none (the caller brings its roots).',
    roots,
    `The core's minified bytes by origin (esbuild metafile): ${top.join('; ')}.`,
  ],
});

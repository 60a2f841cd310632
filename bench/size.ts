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
 * offers, not what one application would keep after tree-shaking its own use.
 *
 * The core bundle's bytes are also split by where they come from (esbuild's metafile): each
 * top-level directory of src/ and each package under node_modules, minified bytes in the output.
 *
 * Run: `npm run bench -- --only size` (or node --import tsx bench/size.ts [--quick]).
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
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
  /** Replace the bundled Mozilla root store by an empty one (what it costs). */
  noRoots?: boolean;
}

/** Stands in for src/verify/roots/mozilla.ts with no certificates. */
const emptyRoots: Plugin = {
  name: 'empty-roots',
  setup(b) {
    b.onLoad({ filter: /src\/verify\/roots\/mozilla\.ts$/ }, () => ({
      contents: 'export const mozillaRootsBase64 = [];',
      loader: 'ts',
    }));
  },
};

const BUNDLES: Bundle[] = [
  { name: 'webtls (.)', source: './src/index.ts', platform: 'browser', external: [] },
  {
    name: 'webtls (.), no bundled roots',
    source: './src/index.ts',
    platform: 'browser',
    external: [],
    noRoots: true,
  },
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
  minified: number;
  gzipped: number;
  metafile: Metafile;
}

async function bundle(b: Bundle): Promise<Built> {
  const lines = [`export * from '${b.source}';`, ...(b.also ?? []).map((m) => `import '${m}';`)];
  // node-forge is CommonJS: `export *` of it exports nothing, so keep its namespace instead.
  if (b.source.startsWith('node-forge')) lines[0] = `export { default } from '${b.source}';`;
  const result = await build({
    stdin: { contents: lines.join('\n'), resolveDir: ROOT, sourcefile: 'entry.js' },
    bundle: true,
    write: false,
    outfile: 'bundle.js',
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
    plugins: b.noRoots ? [emptyRoots] : [],
  });
  const code = result.outputFiles[0].contents;
  return {
    minified: code.length,
    gzipped: gzipSync(code, { level: 9 }).length,
    metafile: result.metafile,
  };
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
    values: { minified: result.minified / KB, gzipped: result.gzipped / KB },
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
const bare = built.get('webtls (.), no bundled roots')!;
const roots =
  `The bundled Mozilla root store (src/verify/roots/mozilla.ts, base64 DER) costs ` +
  `${formatNumber((core.minified - bare.minified) / KB)} kB minified and ` +
  `${formatNumber((core.gzipped - bare.gzipped) / KB)} kB gzipped of the core: webpki.ts ` +
  'imports it as the default roots, so every bundle that can verify keeps it.';

for (const [name, bytes] of parts.slice(0, 8))
  progress(`  ${name}: ${formatNumber(bytes / KB)} kB`);

writeResults('size', {
  title: 'Bundle size per entry point',
  unit: 'kB (1000 bytes)',
  higherIsBetter: false,
  columns: ['minified', 'gzipped'],
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

/**
 * Fails if a public entry, bundled for the browser, reaches Node. Each entry (`src/index.ts`,
 * `src/web/index.ts`, `src/workers/index.ts`) is bundled with esbuild, platform `browser`, ESM,
 * minified, with its dependencies, as an application would bundle it. Two checks:
 *
 * 1. Imports. An esbuild plugin sees every import as it is resolved, in our code and in
 *    dependencies; a `node:*` specifier or a bare Node builtin (`fs`, `net`, `crypto`, ...) is a
 *    finding, named with the file that imports it. The workers entry may import
 *    `cloudflare:sockets`, which stays external. ALLOWED_IMPORTS lists dynamic imports in
 *    dependencies that run only where a web API is missing (bundlers leave an `import()` inside
 *    `try` unresolved); a static import is never allowed, since it would fail at load.
 * 2. Node globals. The bundle, with its identifiers minified, is parsed with the TypeScript
 *    compiler and every identifier in a reference position named `process`, `Buffer`, `global`,
 *    `require`, `__dirname`, `__filename`, `setImmediate` or `clearImmediate` is a finding, as
 *    are `globalThis.process`-style accesses to them. Parsing rather than matching text means
 *    string literals, comments and property names (`x.process`, `{ Buffer: 1 }`) do not count.
 *    Minifying identifiers renames every binding the bundle declares itself, so a name left
 *    over is Node's global, not a local that happens to share it. `typeof X` is allowed (a
 *    feature test does not throw where X is missing). Each use is attributed to its module by
 *    the `// path` comment esbuild writes above each module's code; ALLOWED would list uses in
 *    dependencies that are fallbacks behind a web API, each with its count and reason.
 *
 * It prints each bundle's size (fully minified, and gzipped) for information.
 *
 * Usage: tsx scripts/check-browser-bundle.ts
 */
import { builtinModules } from 'node:module';
import { relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');

/** Entries to check, and the non-Node platform modules each may leave external. */
const ENTRIES: { entry: string; external: string[] }[] = [
  { entry: 'src/index.ts', external: [] },
  { entry: 'src/web/index.ts', external: [] },
  { entry: 'src/workers/index.ts', external: ['cloudflare:sockets'] },
];

const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));
const NODE_GLOBALS = new Set([
  'process',
  'Buffer',
  'global',
  'require',
  '__dirname',
  '__filename',
  'setImmediate',
  'clearImmediate',
]);
const GLOBAL_OBJECTS = new Set(['globalThis', 'self', 'window', 'global']);

/**
 * Node-global uses known to be harmless: module, what it uses, how many times, and why. Empty
 * since the core stopped bundling @peculiar/asn1-x509, whose pvtsutils and @peculiar/utils held
 * the two feature-tested `Buffer` fallbacks once listed here.
 */
const ALLOWED: { module: string; uses: string; count: number; why: string }[] = [];

function isNodeModule(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
}

/** Dynamic Node imports known to be harmless: importing module, specifier, and why. */
const ALLOWED_IMPORTS: { module: string; specifier: string; why: string }[] = [
  ...['algorithm.js', 'utils/misc.js'].map((file) => ({
    module: `node_modules/@hpke/common/esm/src/${file}`,
    specifier: 'crypto',
    why: 'import("crypto") inside try, reached only where globalThis.crypto is missing',
  })),
];

/** Records Node imports (and keeps them external so the build goes on to find them all). */
function nodeImports(findings: string[], external: string[]): Plugin {
  return {
    name: 'node-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (external.includes(args.path)) return { path: args.path, external: true };
        if (!isNodeModule(args.path)) return undefined;
        const from = args.importer ? relative(ROOT, args.importer) : '(entry)';
        const known = ALLOWED_IMPORTS.some(
          (a) => a.module === from && a.specifier === args.path && args.kind === 'dynamic-import',
        );
        if (!known) findings.push(`imports ${args.path} (${args.kind}, from ${from})`);
        return { path: args.path, external: true };
      });
    },
  };
}

/** Whether `id` is a reference rather than a property name, a key or a label. */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p)) && p.name === id) return false;
  if ((ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === id)
    return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) && p.propertyName === id) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  return true;
}

/** The module each offset of `code` belongs to, from esbuild's `// path` comments. */
function moduleAt(code: string): (offset: number) => string {
  const starts = [...code.matchAll(/^\/\/ (\S+)$/gm)].map((m) => ({ at: m.index, path: m[1] }));
  return (offset) => {
    let path = '(bundle runtime)';
    for (const s of starts) if (s.at <= offset) path = s.path;
    return path;
  };
}

/** Node-global uses in `code` not in ALLOWED, each with its module and the code around it. */
function nodeGlobals(code: string): string[] {
  const file = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true);
  const moduleOf = moduleAt(code);
  const uses = new Map<string, string[]>();
  const report = (node: ts.Node, what: string): void => {
    const at = node.getStart(file);
    const around = code.slice(Math.max(0, at - 40), at + 40).replace(/\s+/g, ' ');
    const key = `${moduleOf(at)}\0${what}`;
    uses.set(key, [...(uses.get(key) ?? []), `…${around}…`]);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isReference(node)) {
      if (!ts.isTypeOfExpression(node.parent)) report(node, node.text);
    }
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      GLOBAL_OBJECTS.has(node.expression.text) &&
      NODE_GLOBALS.has(node.name.text) &&
      !ts.isTypeOfExpression(node.parent)
    ) {
      report(node, `${node.expression.text}.${node.name.text}`);
    }
    if (
      ts.isElementAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      GLOBAL_OBJECTS.has(node.expression.text) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      NODE_GLOBALS.has(node.argumentExpression.text) &&
      !ts.isTypeOfExpression(node.parent)
    ) {
      report(node, `${node.expression.text}['${node.argumentExpression.text}']`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);

  const findings: string[] = [];
  for (const [key, contexts] of uses) {
    const [module, what] = key.split('\0');
    const allowed = ALLOWED.find((a) => a.module === module && a.uses === what);
    if (allowed && contexts.length <= allowed.count) continue;
    const limit = allowed ? ` (${allowed.count} allowed)` : '';
    const lines = contexts.map((c) => `\n      ${c}`).join('');
    findings.push(`${module} uses ${what} ${contexts.length} time(s)${limit}:${lines}`);
  }
  return findings;
}

function kB(n: number): string {
  return `${(n / 1000).toFixed(1)} kB`;
}

let failed = 0;
for (const { entry, external } of ENTRIES) {
  const findings: string[] = [];
  const bundle = async (minifyWhitespace: boolean, plugins: Plugin[]) => {
    const result = await build({
      entryPoints: [resolve(ROOT, entry)],
      bundle: true,
      write: false,
      outfile: 'bundle.js',
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minifyIdentifiers: true,
      minifySyntax: true,
      minifyWhitespace,
      legalComments: 'none',
      external,
      absWorkingDir: ROOT,
      plugins,
      logLevel: 'error',
    });
    return result.outputFiles[0].contents;
  };
  findings.push(
    ...nodeGlobals(
      new TextDecoder().decode(await bundle(false, [nodeImports(findings, external)])),
    ),
  );
  const minified = await bundle(true, [nodeImports([], external)]);
  const size = minified.length;
  const gzip = gzipSync(minified, { level: 9 }).length;
  console.log(`check-browser-bundle: ${entry}: ${kB(size)} minified, ${kB(gzip)} gzipped`);
  for (const finding of findings) console.error(`  ${entry}: ${finding}`);
  failed += findings.length;
}
if (failed > 0) {
  console.error(
    `check-browser-bundle: ${failed} Node-only use(s) in the browser bundles ` +
      '(keep Node code under src/node/ or src/cli/, or use a web-platform API)',
  );
  process.exit(1);
}
console.log('check-browser-bundle: no entry reaches a Node module or a Node global');

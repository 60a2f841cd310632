/**
 * Fails if the runtime-neutral core reaches for Node: every file under src/ except src/node/ and
 * src/cli/ must not import `node:*` (or a bare Node builtin such as `fs`), reference `Buffer`,
 * `process` or `console`, or pull in Node's types. Prints `file:line: what` for each finding.
 *
 * It parses with the TypeScript compiler, so comments, strings and property names (`x.process`,
 * `{ console: ... }`) do not count; a file that declares its own binding with one of these names
 * is trusted for that name.
 *
 * Usage: tsx scripts/check-core-neutral.ts [dir]   (default: src)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const EXEMPT = ['node', 'cli'];
const GLOBALS = new Set(['Buffer', 'process', 'console']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'self', 'window', 'global']);
const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

/** Source files under `dir`, skipping the exempt top-level folders. */
function sourceFiles(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const top = relative(root, path).split(sep)[0];
      if (dir === root && EXEMPT.includes(top)) continue;
      out.push(...sourceFiles(path, root));
    } else if (/\.(m?ts|m?js|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

function isNodeModule(specifier: string): boolean {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
}

/** Whether `id` is a name being declared or a property name rather than a reference. */
function isDeclarationOrKey(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return true;
  if (ts.isQualifiedName(p) && p.right === id) return true;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessorDeclaration(p) ||
      ts.isSetAccessorDeclaration(p) ||
      ts.isEnumMember(p)) &&
    p.name === id
  ) {
    return true;
  }
  if (ts.isBindingElement(p) && p.propertyName === id) return true;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) && p.propertyName === id) return true;
  return ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p);
}

/** Names of the three globals that the file itself declares (a local `process` is not Node's). */
function locallyDeclared(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    const name = (node as { name?: ts.Node }).name;
    const declares =
      ts.isVariableDeclaration(node) ||
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isParameter(node) ||
      ts.isImportSpecifier(node) ||
      ts.isImportClause(node) ||
      ts.isNamespaceImport(node) ||
      (ts.isBindingElement(node) && !node.propertyName);
    if (declares && name && ts.isIdentifier(name) && GLOBALS.has(name.text)) names.add(name.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

function checkFile(path: string, display: string): string[] {
  const text = readFileSync(path, 'utf8');
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const local = locallyDeclared(file);
  const findings: string[] = [];
  const report = (node: ts.Node, what: string): void => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    findings.push(`${display}:${line + 1}: ${what}`);
  };

  for (const ref of file.typeReferenceDirectives) {
    if (ref.fileName === 'node') {
      const line = file.getLineAndCharacterOfPosition(ref.pos).line;
      findings.push(`${display}:${line + 1}: references Node's types`);
    }
  }

  const visit = (node: ts.Node): void => {
    // import ... from 'x', export ... from 'x', import('x'), require('x'), import x = require('x')
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      specifier = node.moduleSpecifier;
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      specifier = node.arguments[0];
    } else if (ts.isExternalModuleReference(node)) {
      specifier = node.expression;
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifier = node.argument.literal as ts.Expression;
    }
    if (specifier && ts.isStringLiteralLike(specifier) && isNodeModule(specifier.text)) {
      report(specifier, `imports ${specifier.text}`);
    }

    if (ts.isIdentifier(node) && GLOBALS.has(node.text) && !local.has(node.text)) {
      if (!isDeclarationOrKey(node)) report(node, `uses ${node.text}`);
    }
    // globalThis.process, self.Buffer, globalThis['console']
    if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      GLOBAL_OBJECTS.has(node.expression.text) &&
      GLOBALS.has(node.name.text)
    ) {
      report(node, `uses ${node.expression.text}.${node.name.text}`);
    }
    if (
      ts.isElementAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      GLOBAL_OBJECTS.has(node.expression.text) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      GLOBALS.has(node.argumentExpression.text)
    ) {
      report(node, `uses ${node.expression.text}['${node.argumentExpression.text}']`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

const root = process.argv[2] ?? 'src';
const files = sourceFiles(root, root).sort();
const findings = files.flatMap((f) => checkFile(f, relative(process.cwd(), f)));
for (const finding of findings) console.error(finding);
if (findings.length > 0) {
  console.error(
    `check-core-neutral: ${findings.length} Node-only use(s) in the core ` +
      `(move them to src/node/ or src/cli/, or use a web-platform API)`,
  );
  process.exit(1);
}
console.log(`check-core-neutral: ${files.length} core files use no Node-only API`);

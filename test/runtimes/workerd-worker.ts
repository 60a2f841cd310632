/**
 * The Worker that runs test files inside workerd (scripts/test-workerd.ts bundles it with the
 * unit suite, `vitest` aliased to vitest-shim.ts). `POST /run?file=<path>` loads that one test
 * file, runs every test it declares and answers with a `FileReport` as JSON. The body is a JSON
 * object of tests not to run here, full name to reason; they are reported skipped with the reason.
 *
 * Files are loaded by dynamic import during the request, not at startup: workerd allows timers,
 * random numbers and other I/O-like calls only while it handles a request, and test files may
 * use them at the top level. One request per file keeps each request short and its hooks in it.
 */
import { beginFile, declaredTests } from './vitest-shim.ts';

/** The outcome of one test; `error` holds what failed, or why it was skipped, as text. */
export interface TestReport {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  error?: string;
  ms: number;
}

/** One file's tests, or `loadError` when the file failed to load. */
export interface FileReport {
  file: string;
  tests: TestReport[];
  loadError?: string;
}

/** Test files by path, each loaded by a dynamic import. */
export type TestFiles = Record<string, () => Promise<unknown>>;

/** The message and stack of `error`, with the errors inside an AggregateError. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const text = error.stack?.includes(error.message) ? error.stack : `${error}\n${error.stack}`;
  const inner = error instanceof AggregateError ? error.errors.map(describeError) : [];
  return [text, ...inner].join('\n---\n');
}

/** Loads `file` and runs its tests in order, honouring `skip` and `only` as vitest does. */
async function runFile(
  file: string,
  load: () => Promise<unknown>,
  skip: Record<string, string>,
): Promise<FileReport> {
  beginFile();
  try {
    await load();
  } catch (error) {
    return { file, tests: [], loadError: describeError(error) };
  }
  const tests = declaredTests();
  const anyOnly = tests.some((t) => t.only);
  const reports: TestReport[] = [];
  for (const test of tests) {
    if (Object.hasOwn(skip, test.fullName)) {
      reports.push({ name: test.fullName, status: 'skipped', error: skip[test.fullName], ms: 0 });
      continue;
    }
    if (test.skipped || (anyOnly && !test.only)) {
      reports.push({ name: test.fullName, status: 'skipped', ms: 0 });
      continue;
    }
    const start = performance.now();
    try {
      const status = await test.run();
      reports.push({ name: test.fullName, status, ms: performance.now() - start });
    } catch (error) {
      const ms = performance.now() - start;
      reports.push({ name: test.fullName, status: 'failed', error: describeError(error), ms });
    }
  }
  return { file, tests: reports };
}

/** A Worker fetch handler over `files`. */
export function testWorker(files: TestFiles): { fetch(request: Request): Promise<Response> } {
  return {
    async fetch(request: Request): Promise<Response> {
      const file = new URL(request.url).searchParams.get('file') ?? '';
      const load = Object.hasOwn(files, file) ? files[file] : undefined;
      if (!load) return new Response(`unknown test file: ${file}`, { status: 404 });
      const skip = (await request.json()) as Record<string, string>;
      return Response.json(await runFile(file, load, skip));
    },
  };
}

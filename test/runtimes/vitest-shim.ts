/**
 * The part of vitest's API that test/unit/** uses, written over no test runner at all, so the
 * same files run where vitest cannot: under Deno (deno-vitest-shim.ts hands each test to
 * `Deno.test`) and inside workerd (workerd-worker.ts runs them from a fetch handler).
 *
 * A runner may pass `setRegistrar` a function that receives each test as it is declared; it may
 * also call `beginFile` before loading each test file, so that a file's top-level hooks and its
 * `.only` stay with that file when several files share this module, and then run the tests that
 * `declaredTests` lists. Tests are named by their suite path (`Reader > vectors > rejects ...`).
 * Describe callbacks run at import time, as in vitest. Hooks keep vitest's default order:
 * `beforeAll` before a suite's first test, `afterAll` after its last, `beforeEach` outer to inner,
 * `afterEach` inner to outer. `expect` is vitest's own (see shim-expect.ts).
 *
 * Not supported: snapshots, fake timers, module mocking, `expect.poll`, async describe callbacks,
 * and template-literal tables in `.each`. `context.skip()` ends the test early; the run reports
 * `skipped`. A suite whose last test is not run (filtered out) does not run `afterAll`.
 */
import {
  clearAllMocks,
  fn,
  isMockFunction,
  resetAllMocks,
  restoreAllMocks,
  spyOn,
} from '@vitest/spy';
import { format, objDisplay } from '@vitest/utils/display';
import {
  beginExpect,
  type ExpectTask,
  endExpect,
  expect,
  settleAsyncExpects,
} from './shim-expect.ts';

export { expect };

/** The mock-function part of vitest's `vi` (no fake timers, no module mocks). */
export const vi = { fn, spyOn, isMockFunction, clearAllMocks, resetAllMocks, restoreAllMocks };

/** The test context passed to a test and to `beforeEach`/`afterEach`, as in vitest. */
export interface TestContext {
  task: { name: string; fullTestName: string };
  expect: typeof expect;
  signal: AbortSignal;
  skip(note?: string): never;
  onTestFinished(fn: () => unknown): void;
  onTestFailed(fn: () => unknown): void;
}

type TestFn = (context: TestContext) => unknown;
type HookFn = () => unknown;
type EachHookFn = (context: TestContext) => unknown;

/** vitest's per-test and per-suite options (the ones this shim honours). */
interface Options {
  timeout?: number;
  skip?: boolean;
  only?: boolean;
  todo?: boolean;
  fails?: boolean;
}

interface Hook<F> {
  fn: F;
  timeout: number;
}

interface Suite {
  name: string;
  parent: Suite | undefined;
  options: Options;
  beforeAll: Hook<HookFn>[];
  afterAll: Hook<HookFn>[];
  beforeEach: Hook<EachHookFn>[];
  afterEach: Hook<EachHookFn>[];
  tests: Test[];
  children: Suite[];
  started: boolean;
  setupError: unknown[];
  cleanups: HookFn[];
  finished: number;
}

interface Test {
  name: string;
  fullName: string;
  suite: Suite;
  fn: TestFn;
  options: Options;
}

/** One declared test as a runner sees it. */
export interface DeclaredTest {
  /** The suite path and the test's own name, joined by ` > `. */
  fullName: string;
  /** Declared with `skip`, `todo`, `skipIf(true)` or no body, itself or by a suite around it. */
  skipped: boolean;
  /** Declared with `only`, itself or by a suite around it. */
  only: boolean;
  /** Runs the test with its hooks; rejects with what failed. */
  run(): Promise<'passed' | 'skipped'>;
}

/** Receives each test as it is declared. */
export type Registrar = (test: DeclaredTest) => void;

/** Defaults match vitest.config.ts. */
const TEST_TIMEOUT = 30_000;
const HOOK_TIMEOUT = 60_000;

function newSuite(name: string, parent: Suite | undefined, options: Options): Suite {
  return {
    name,
    parent,
    options,
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    tests: [],
    children: [],
    started: false,
    setupError: [],
    cleanups: [],
    finished: 0,
  };
}

let current = newSuite('', undefined, {});
let running: TestContext | undefined;
let allTests: Test[] = [];
let declared: DeclaredTest[] = [];
let registrar: Registrar | undefined;

/** Hands every test declared from now on to `register` as well. */
export function setRegistrar(register: Registrar): void {
  registrar = register;
}

/** Starts a new file: a fresh top-level suite, and no tests declared yet. */
export function beginFile(): void {
  current = newSuite('', undefined, {});
  allTests = [];
  declared = [];
}

/** The tests declared since the last `beginFile` (or since this module loaded), in order. */
export function declaredTests(): readonly DeclaredTest[] {
  return declared;
}

/** Root first. */
function chainOf(suite: Suite): Suite[] {
  const chain: Suite[] = [];
  for (let s: Suite | undefined = suite; s; s = s.parent) chain.unshift(s);
  return chain;
}

function inherited(suite: Suite, key: 'skip' | 'only' | 'todo'): boolean {
  for (let s: Suite | undefined = suite; s; s = s.parent) if (s.options[key]) return true;
  return false;
}

function timeoutOf(test: Test): number {
  if (test.options.timeout !== undefined) return test.options.timeout;
  for (let s: Suite | undefined = test.suite; s; s = s.parent) {
    if (s.options.timeout !== undefined) return s.options.timeout;
  }
  return TEST_TIMEOUT;
}

function isSkipped(test: Test): boolean {
  const o = test.options;
  return !!(o.skip || o.todo || inherited(test.suite, 'skip') || inherited(test.suite, 'todo'));
}

function isOnly(test: Test): boolean {
  return !!test.options.only || inherited(test.suite, 'only');
}

/** Tests that will run under `suite`; known once every module-level call has returned. */
function runnableCount(suite: Suite): number {
  const anyOnly = allTests.some(isOnly);
  let n = 0;
  const visit = (s: Suite): void => {
    for (const t of s.tests) if (!isSkipped(t) && (!anyOnly || isOnly(t))) n++;
    for (const c of s.children) visit(c);
  };
  visit(suite);
  return n;
}

class SkipSignal extends Error {}

/** Runs `run` with a deadline; `ms` of 0 or less, or Infinity, means none. */
async function timed<T>(run: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0 && Number.isFinite(ms))) return await run();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out in ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(run), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runHooks(hooks: Hook<HookFn>[], what: string, errors: unknown[]): Promise<void> {
  for (const hook of hooks) {
    try {
      await timed(hook.fn, hook.timeout, what);
    } catch (error) {
      errors.push(error);
    }
  }
}

/** Runs one test with its hooks, and throws what failed. */
async function runTest(test: Test): Promise<'passed' | 'skipped'> {
  const chain = chainOf(test.suite);
  const errors: unknown[] = [];

  // 1. beforeAll of each enclosing suite, once, outer to inner; a failure fails every test below.
  for (const suite of chain) {
    if (!suite.started) {
      suite.started = true;
      for (const hook of suite.beforeAll) {
        try {
          const cleanup = await timed(hook.fn, hook.timeout, 'beforeAll hook');
          if (typeof cleanup === 'function') suite.cleanups.push(cleanup as HookFn);
        } catch (error) {
          suite.setupError.push(error);
          break;
        }
      }
    }
    if (suite.setupError.length > 0) {
      errors.push(...suite.setupError);
      break;
    }
  }

  // 2. beforeEach outer to inner, the test, then afterEach inner to outer.
  const controller = new AbortController();
  const finished: (() => unknown)[] = [];
  const failed: (() => unknown)[] = [];
  const context: TestContext = {
    task: { name: test.name, fullTestName: test.fullName },
    expect,
    signal: controller.signal,
    skip(note?: string): never {
      throw new SkipSignal(note ?? 'skipped');
    },
    onTestFinished: (fn) => void finished.push(fn),
    onTestFailed: (fn) => void failed.push(fn),
  };
  const task: ExpectTask = { type: 'test', name: test.name, fullTestName: test.fullName };
  beginExpect(task);
  running = context;
  const bodyErrors: unknown[] = [];
  let skipped = false;
  if (errors.length === 0) {
    const entered: { suite: Suite; cleanups: HookFn[] }[] = [];
    try {
      for (const suite of chain) {
        const level = { suite, cleanups: [] as HookFn[] };
        entered.unshift(level);
        for (const hook of suite.beforeEach) {
          const cleanup = await timed(() => hook.fn(context), hook.timeout, 'beforeEach hook');
          if (typeof cleanup === 'function') level.cleanups.push(cleanup as HookFn);
        }
      }
      try {
        const body = async () => {
          await test.fn(context);
          await settleAsyncExpects(task);
        };
        await timed(body, timeoutOf(test), 'test');
      } catch (error) {
        controller.abort(error);
        if (error instanceof SkipSignal) {
          skipped = true;
          console.warn(`skipped at runtime: ${test.fullName}: ${error.message}`);
        } else {
          bodyErrors.push(error);
        }
      }
      bodyErrors.push(...endExpect(task));
    } catch (error) {
      errors.push(error);
    }
    for (const { suite, cleanups } of entered) {
      const hooks = suite.afterEach.map((h) => ({ fn: () => h.fn(context), timeout: h.timeout }));
      await runHooks(hooks.reverse(), 'afterEach hook', errors);
      await runHooks(
        cleanups.reverse().map((fn) => ({ fn, timeout: HOOK_TIMEOUT })),
        'beforeEach cleanup',
        errors,
      );
    }
  }

  running = undefined;

  // 3. `fails` tests pass only when their body throws.
  if (test.options.fails) {
    if (bodyErrors.length === 0) errors.push(new Error('expected the test to fail (it.fails)'));
  } else {
    errors.push(...bodyErrors);
  }

  const callbacks = errors.length > 0 ? [...failed, ...finished] : finished;
  await runHooks(
    callbacks.reverse().map((fn) => ({ fn, timeout: HOOK_TIMEOUT })),
    'onTestFinished',
    errors,
  );

  // 4. afterAll of each suite whose last test this was, inner to outer.
  for (const suite of [...chain].reverse()) {
    suite.finished++;
    if (suite.started && suite.finished === runnableCount(suite)) {
      await runHooks([...suite.afterAll].reverse(), 'afterAll hook', errors);
      const cleanups = suite.cleanups.reverse().map((fn) => ({ fn, timeout: HOOK_TIMEOUT }));
      await runHooks(cleanups, 'beforeAll cleanup', errors);
    }
  }

  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} errors`);
  return skipped ? 'skipped' : 'passed';
}

function nameOf(name: string | ((...args: never[]) => unknown)): string {
  return typeof name === 'function' ? name.name || '<anonymous>' : String(name);
}

/** Accepts `(fn, timeout)`, `(options, fn)` and `(fn, options)`, as vitest does. */
function splitArgs<F>(
  a?: F | Options | number,
  b?: F | Options | number,
): [F | undefined, Options] {
  if (typeof a === 'function') {
    const options = typeof b === 'number' ? { timeout: b } : ((b as Options) ?? {});
    return [a as F, options];
  }
  if (typeof a === 'object' && a !== null) return [b as F | undefined, a];
  return [undefined, typeof a === 'number' ? { timeout: a } : {}];
}

function addTest(name: string, fn: TestFn | undefined, options: Options): void {
  const suite = current;
  const path = chainOf(suite)
    .map((s) => s.name)
    .filter((n) => n !== '');
  const test: Test = {
    name,
    fullName: [...path, name].join(' > '),
    suite,
    fn: fn ?? (() => {}),
    options: fn ? options : { ...options, todo: true },
  };
  suite.tests.push(test);
  allTests.push(test);
  const entry: DeclaredTest = {
    fullName: test.fullName,
    skipped: isSkipped(test),
    only: isOnly(test),
    run: () => runTest(test),
  };
  declared.push(entry);
  registrar?.(entry);
}

function addSuite(name: string, fn: (() => unknown) | undefined, options: Options): void {
  const suite = newSuite(name, current, fn ? options : { ...options, todo: true });
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    const result = fn?.();
    if (result instanceof Promise) {
      throw new Error(
        `describe('${name}'): async describe callbacks are not supported by the shim`,
      );
    }
  } finally {
    current = parent;
  }
}

/** Stands in for `%%` while the placeholders are filled (a private-use character). */
const ESCAPED_PERCENT = '\u{f8ff}';

/** The title of one `.each` case: `%s`-style placeholders, `%#` index, `$key` of object cases. */
function formatTitle(template: string, items: unknown[], index: number): string {
  let title = template
    .replaceAll('%%', ESCAPED_PERCENT)
    .replace(/%#/g, String(index))
    .replace(/%\$/g, String(index + 1));
  const first = items[0];
  if (items.length === 1 && typeof first === 'object' && first !== null) {
    title = title.replace(/\$([\w.]+)/g, (_, key: string) => {
      let value: unknown = first;
      for (const part of key.split('.')) value = (value as Record<string, unknown>)?.[part];
      return objDisplay(value);
    });
  }
  let i = 0;
  title = title.replace(/%[sdifjoOc]/g, (spec) =>
    i < items.length ? format(spec, items[i++]) : spec,
  );
  return title.replaceAll(ESCAPED_PERCENT, '%');
}

type Modifier = 'skip' | 'only' | 'todo' | 'fails' | 'concurrent' | 'sequential';

type Register<F> = (name: string, fn: F | undefined, options: Options) => void;

/**
 * Builds `it`/`test`/`describe` with vitest's chainable modifiers (`.skip.each`, `.only`, ...).
 * `concurrent` is accepted and runs sequentially.
 */
function chainable<F extends (...args: never[]) => unknown>(register: Register<F>, flags: Options) {
  const api = (
    name: string | ((...args: never[]) => unknown),
    a?: F | Options | number,
    b?: F | Options | number,
  ): void => {
    const [fn, options] = splitArgs<F>(a, b);
    register(nameOf(name), fn, { ...flags, ...options });
  };
  const modifiers: Record<Modifier, Options> = {
    skip: { skip: true },
    only: { only: true },
    todo: { todo: true },
    fails: { fails: true },
    concurrent: {},
    sequential: {},
  };
  for (const [key, extra] of Object.entries(modifiers)) {
    Object.defineProperty(api, key, { get: () => chainable(register, { ...flags, ...extra }) });
  }
  return Object.assign(api, {
    skipIf: (condition: unknown) => chainable(register, { ...flags, skip: !!condition }),
    runIf: (condition: unknown) => chainable(register, { ...flags, skip: !condition }),
    each(cases: readonly unknown[]) {
      if (!Array.isArray(cases))
        throw new Error('.each: template-literal tables are not supported');
      return (
        name: string | ((...args: never[]) => unknown),
        a?: ((...args: unknown[]) => unknown) | Options | number,
        b?: ((...args: unknown[]) => unknown) | Options | number,
      ): void => {
        const [fn, options] = splitArgs<(...args: unknown[]) => unknown>(a, b);
        cases.forEach((item, index) => {
          const items = Array.isArray(item) ? item : [item];
          const title = formatTitle(nameOf(name), items, index);
          const body = fn ? ((() => fn(...items)) as unknown as F) : undefined;
          register(title, body, { ...flags, ...options });
        });
      };
    },
  });
}

/** vitest's `test`. */
export const test = chainable<TestFn>(addTest, {});
/** vitest's `it`, an alias of `test`. */
export const it = test;
/** vitest's `describe`. */
export const describe = chainable<() => unknown>(addSuite, {});
/** vitest's `suite`, an alias of `describe`. */
export const suite = describe;

/** Runs once before the first test of the enclosing suite (or file). */
export function beforeAll(fn: HookFn, timeout = HOOK_TIMEOUT): void {
  current.beforeAll.push({ fn, timeout });
}

/** Runs once after the last test of the enclosing suite (or file). */
export function afterAll(fn: HookFn, timeout = HOOK_TIMEOUT): void {
  current.afterAll.push({ fn, timeout });
}

/** Runs before each test in the enclosing suite; may return a cleanup function. */
export function beforeEach(fn: EachHookFn, timeout = HOOK_TIMEOUT): void {
  current.beforeEach.push({ fn, timeout });
}

/** Runs after each test in the enclosing suite. */
export function afterEach(fn: EachHookFn, timeout = HOOK_TIMEOUT): void {
  current.afterEach.push({ fn, timeout });
}

/** Registers a callback for when the running test finishes (pass or fail). */
export function onTestFinished(fn: () => unknown): void {
  if (!running) throw new Error('onTestFinished() must be called while a test runs');
  running.onTestFinished(fn);
}

/** Registers a callback for when the running test fails. */
export function onTestFailed(fn: () => unknown): void {
  if (!running) throw new Error('onTestFailed() must be called while a test runs');
  running.onTestFailed(fn);
}

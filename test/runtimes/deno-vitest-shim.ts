/**
 * `vitest` under Deno (deno.json maps the bare specifier here): the shared shim
 * (vitest-shim.ts), with each test handed to `Deno.test` as it is declared, so Deno's pass/fail
 * counts are test counts and `deno test --filter` matches full suite paths. Each test module runs
 * in its own isolate, so the suite tree is per file without `beginFile`. A test that calls
 * `context.skip()` is reported by Deno as passed, with a warning in its output.
 */
import { setRegistrar } from './vitest-shim.ts';

interface DenoTestDefinition {
  name: string;
  fn: () => Promise<unknown>;
  ignore?: boolean;
  only?: boolean;
}

const deno = (globalThis as unknown as { Deno: { test(def: DenoTestDefinition): void } }).Deno;

setRegistrar((test) =>
  deno.test({ name: test.fullName, ignore: test.skipped, only: test.only, fn: test.run }),
);

export {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  onTestFailed,
  onTestFinished,
  suite,
  type TestContext,
  test,
  vi,
} from './vitest-shim.ts';

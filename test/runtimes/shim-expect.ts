/**
 * vitest's `expect` for the shim (vitest-shim.ts, under Deno and workerd): the same chai plugins
 * vitest installs (@vitest/expect), so every matcher, diff and message behaves as it does under
 * Node and in the browser. Snapshot matchers and `expect.poll` are not available here.
 */
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  chai,
  customMatchers,
  type ExpectStatic,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  type MatcherState,
  setState,
} from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

/**
 * The slice of a vitest task that @vitest/expect reads: `promises` collects `.resolves` and
 * `.rejects` chains so the runner can settle ones the test forgot to await, and `result` collects
 * `expect.soft` failures.
 */
export interface ExpectTask {
  type: 'test';
  name: string;
  fullTestName: string;
  promises?: Promise<unknown>[];
  onFinished?: (() => void)[];
  result?: { state: string; errors?: unknown[] };
}

let currentTask: ExpectTask | undefined;

type AnyExpect = ExpectStatic & Record<string, unknown>;

function createExpect(): ExpectStatic {
  const expect = ((value: unknown, message?: string) => {
    const { assertionCalls } = getState(expect);
    setState({ assertionCalls: assertionCalls + 1 }, expect);
    const assertion = chai.expect(value, message) as unknown as {
      withTest(task: ExpectTask): unknown;
    };
    return currentTask ? assertion.withTest(currentTask) : assertion;
  }) as unknown as AnyExpect;

  Object.assign(expect, chai.expect);
  Object.assign(
    expect,
    (globalThis as unknown as Record<symbol, object>)[ASYMMETRIC_MATCHERS_OBJECT],
  );
  expect.getState = () => getState(expect);
  expect.setState = (state: Partial<MatcherState>) => setState(state, expect);
  expect.extend = (matchers) =>
    (chai.expect as unknown as { extend(e: unknown, m: unknown): void }).extend(expect, matchers);
  expect.assertions = (expected: number) =>
    setState(
      {
        expectedAssertionsNumber: expected,
        expectedAssertionsNumberErrorGen: () =>
          new Error(
            `expected number of assertions to be ${expected}, but got ` +
              getState(expect).assertionCalls,
          ),
      },
      expect,
    );
  expect.hasAssertions = () =>
    setState(
      {
        isExpectingAssertions: true,
        isExpectingAssertionsError: new Error('expected any number of assertion, but got none'),
      },
      expect,
    );
  expect.soft = ((value: unknown, message?: string) =>
    (expect(value, message) as unknown as { withContext(c: object): unknown }).withContext({
      soft: true,
    })) as AnyExpect['soft'];
  expect.unreachable = (message?: string) => {
    chai.assert.fail(`expected${message ? ` "${message}" ` : ' '}not to be reached`);
  };
  expect.assert = chai.assert as AnyExpect['assert'];
  expect.extend(customMatchers);
  return expect;
}

/** The shared `expect`; the shim resets its state before every test. */
export const expect: ExpectStatic = createExpect();

Object.defineProperty(globalThis, GLOBAL_EXPECT, {
  value: expect,
  writable: true,
  configurable: true,
});

/** Points `expect` at a new test and clears the assertion counters. */
export function beginExpect(task: ExpectTask): void {
  currentTask = task;
  setState(
    {
      assertionCalls: 0,
      isExpectingAssertions: false,
      isExpectingAssertionsError: null,
      expectedAssertionsNumber: null,
      expectedAssertionsNumberErrorGen: null,
      currentTestName: task.fullTestName,
    },
    expect,
  );
}

/**
 * Settles `.resolves`/`.rejects` chains the test did not await and throws the first failure, as
 * vitest does. Call it straight after the test body: each chain drops out of the list once settled.
 */
export async function settleAsyncExpects(task: ExpectTask): Promise<void> {
  if (!task.promises?.length) return;
  const settled = await Promise.allSettled(task.promises);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}

/**
 * Ends the test for `expect` and returns the errors to report: `expect.soft` failures and
 * `expect.assertions(n)` / `hasAssertions()` that were not met.
 */
export function endExpect(task: ExpectTask): unknown[] {
  for (const done of task.onFinished ?? []) done();
  const errors: unknown[] = [...(task.result?.errors ?? [])];
  const state = getState(expect);
  if (
    state.expectedAssertionsNumber !== null &&
    state.assertionCalls !== state.expectedAssertionsNumber
  ) {
    errors.push(state.expectedAssertionsNumberErrorGen?.());
  }
  if (state.isExpectingAssertions && state.assertionCalls === 0) {
    errors.push(state.isExpectingAssertionsError);
  }
  currentTask = undefined;
  return errors;
}

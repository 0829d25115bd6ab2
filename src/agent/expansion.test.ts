import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandVars, literalIfUnknown } from './expansion.js';

describe('expandVars (Kubernetes $(VAR) expansion)', () => {
  const vars = new Map([
    ['A', 'alpha'],
    ['B', 'beta'],
    ['EMPTY', ''],
  ]);
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)-y', 'x-alpha-beta-y'],
    ['$(EMPTY)!', '!'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$$', '$'],
    ['a$', 'a$'],
    ['$A', '$A'],
    ['$(A', '$(A'],
    // The name runs to the first ')': "A $(B" is unknown, so all of it stays.
    ['$(A $(B)', '$(A $(B)'],
    ['$()', '$()'],
    ['$(A)$(B)', 'alphabeta'],
    ['é$(A)é', 'éalphaé'],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
      assert.equal(expandVars(input, literalIfUnknown(vars)), want);
    });
  }
});

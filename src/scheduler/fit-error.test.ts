import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FitError } from './fit-error.js';
import { type Status, unresolvable, unschedulable } from './framework/types.js';

const taint = (): Status => ({
  ...unschedulable('node(s) had untolerated taint {dedicated: gpu}'),
  plugin: 'TaintToleration',
});
const cpu = (): Status => ({ ...unschedulable('Insufficient cpu'), plugin: 'NodeResourcesFit' });

describe('FitError', () => {
  it('counts reasons per node and sorts the histogram as strings', () => {
    const statuses = new Map<string, Status>([
      ['a', taint()],
      ['b', taint()],
      ['c', cpu()],
      ['d', cpu()],
      ['e', cpu()],
    ]);
    const err = new FitError(5, statuses);
    assert.equal(
      err.message,
      '0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.',
    );
    assert.deepEqual(err.plugins.sort(), ['NodeResourcesFit', 'TaintToleration']);
  });

  it('sorts counts as Go sort.Strings does: "10 ..." before "2 ..."', () => {
    const statuses = new Map<string, Status>();
    for (let i = 0; i < 10; i++) statuses.set(`c${i}`, cpu());
    statuses.set('m1', unschedulable('Insufficient memory'));
    statuses.set('m2', unschedulable('Insufficient memory'));
    assert.equal(
      new FitError(12, statuses).message,
      '0/12 nodes are available: 10 Insufficient cpu, 2 Insufficient memory.',
    );
  });

  it('counts every reason of a node with several', () => {
    const statuses = new Map<string, Status>([
      ['a', unschedulable('Insufficient cpu', 'Insufficient memory')],
    ]);
    assert.equal(
      new FitError(1, statuses).message,
      '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    );
  });

  it('uses the preFilter message instead of the histogram, and appends the postFilter message', () => {
    const all = unresolvable("node(s) didn't match pod topology spread constraints (missing required label)");
    const statuses = new Map<string, Status>([
      ['a', all],
      ['b', all],
    ]);
    const err = new FitError(
      2,
      statuses,
      "node(s) didn't match pod topology spread constraints (missing required label)",
      'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    assert.equal(
      err.message,
      "0/2 nodes are available: node(s) didn't match pod topology spread constraints (missing required label). " +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });

  it('says so when there are no nodes at all', () => {
    assert.equal(new FitError(0, new Map()).message, 'no nodes available to schedule pods');
  });
});

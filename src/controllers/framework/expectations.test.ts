import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/fake-clock.js';
import { EXPECTATIONS_TTL_MS, Expectations } from './expectations.js';

type Step =
  | { expectCreations: number }
  | { expectDeletions: string[] }
  | { created: number }
  | { createFailed: number }
  | { deleted: string }
  | { deleteFailed: string }
  | { advance: number }
  | 'forget';

describe('Expectations', () => {
  const cases: { name: string; steps: Step[]; satisfied: boolean }[] = [
    { name: 'nothing expected', steps: [], satisfied: true },
    { name: 'creations pending', steps: [{ expectCreations: 3 }, { created: 2 }], satisfied: false },
    { name: 'every creation seen', steps: [{ expectCreations: 3 }, { created: 3 }], satisfied: true },
    {
      name: 'more creations seen than expected',
      steps: [{ expectCreations: 1 }, { created: 3 }],
      satisfied: true,
    },
    {
      name: 'failed creations tick off too (nothing will come through the watch)',
      steps: [{ expectCreations: 3 }, { created: 1 }, { createFailed: 2 }],
      satisfied: true,
    },
    {
      name: 'a creation seen before any was expected does not count for later ones',
      steps: [{ created: 1 }, { expectCreations: 1 }],
      satisfied: false,
    },
    {
      name: 'deletions pending',
      steps: [{ expectDeletions: ['ns/a', 'ns/b'] }, { deleted: 'ns/a' }],
      satisfied: false,
    },
    {
      name: 'every deletion seen',
      steps: [{ expectDeletions: ['ns/a', 'ns/b'] }, { deleted: 'ns/a' }, { deleted: 'ns/b' }],
      satisfied: true,
    },
    {
      name: 'the same deletion seen twice (a delete event, then a relist) ticks off one',
      steps: [{ expectDeletions: ['ns/a', 'ns/b'] }, { deleted: 'ns/a' }, { deleted: 'ns/a' }],
      satisfied: false,
    },
    {
      name: 'a deletion not expected ticks off nothing',
      steps: [{ expectDeletions: ['ns/a'] }, { deleted: 'ns/z' }],
      satisfied: false,
    },
    {
      name: 'a failed deletion ticks off',
      steps: [{ expectDeletions: ['ns/a'] }, { deleteFailed: 'ns/a' }],
      satisfied: true,
    },
    {
      name: 'pending for exactly the TTL: still waiting',
      steps: [{ expectCreations: 1 }, { advance: EXPECTATIONS_TTL_MS }],
      satisfied: false,
    },
    {
      name: 'pending for longer than the TTL: a lost event cannot wedge the controller',
      steps: [{ expectCreations: 1 }, { advance: EXPECTATIONS_TTL_MS + 1 }],
      satisfied: true,
    },
    {
      name: 'new expectations replace old ones, and their age',
      steps: [
        { expectCreations: 1 },
        { advance: EXPECTATIONS_TTL_MS },
        { expectDeletions: ['ns/a'] },
        { advance: 1 },
      ],
      satisfied: false,
    },
    {
      name: 'forgotten (the controller is gone)',
      steps: [{ expectCreations: 5 }, 'forget'],
      satisfied: true,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const e = new Expectations(clock);
      const key = 'default/web';
      for (const step of c.steps) {
        if (step === 'forget') e.forget(key);
        else if ('expectCreations' in step) e.expectCreations(key, step.expectCreations);
        else if ('expectDeletions' in step) e.expectDeletions(key, step.expectDeletions);
        else if ('created' in step) for (let i = 0; i < step.created; i++) e.creationObserved(key);
        else if ('createFailed' in step) for (let i = 0; i < step.createFailed; i++) e.creationFailed(key);
        else if ('deleted' in step) e.deletionObserved(key, step.deleted);
        else if ('deleteFailed' in step) e.deletionFailed(key, step.deleteFailed);
        else await clock.advance(step.advance);
      }
      assert.equal(e.satisfied(key), c.satisfied);
    });
  }

  it('keeps each controller apart', () => {
    const e = new Expectations(new FakeClock());
    e.expectCreations('default/a', 1);
    e.expectDeletions('default/b', ['default/p']);
    e.creationObserved('default/b');
    e.deletionObserved('default/a', 'default/p');
    assert.equal(e.satisfied('default/a'), false);
    assert.equal(e.satisfied('default/b'), false);
    assert.equal(e.satisfied('default/c'), true);
  });

  it('takes its TTL from the constructor', async () => {
    const clock = new FakeClock();
    const e = new Expectations(clock, 1000);
    e.expectCreations('k', 1);
    await clock.advance(1001);
    assert.equal(e.satisfied('k'), true);
  });
});

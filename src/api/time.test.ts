import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTime } from './time.js';

describe('formatTime', () => {
  it('writes UTC with whole seconds, as metav1.Time marshals', () => {
    assert.equal(formatTime(new Date('2024-05-01T10:00:00.789Z')), '2024-05-01T10:00:00Z');
    assert.equal(formatTime(new Date('2024-05-01T12:00:00+02:00')), '2024-05-01T10:00:00Z');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ImageRefParts, splitImageRef } from './image-ref.js';

describe('splitImageRef', () => {
  it('splits domain, path, tag and digest as Docker does, checking nothing', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const cases: Array<[string, ImageRefParts]> = [
      ['', { path: '' }],
      ['busybox', { path: 'busybox' }],
      ['busybox:1.36', { path: 'busybox', tag: '1.36' }],
      ['app:', { path: 'app', tag: '' }],
      ['library/busybox', { path: 'library/busybox' }],
      ['team/app', { path: 'team/app' }],
      ['localhost/app', { domain: 'localhost', path: 'app' }],
      ['localhost', { path: 'localhost' }],
      ['registry:5000/app', { domain: 'registry:5000', path: 'app' }],
      ['registry:5000', { path: 'registry', tag: '5000' }],
      ['r.io/a/b:t', { domain: 'r.io', path: 'a/b', tag: 't' }],
      [`app@${digest}`, { path: 'app', digest }],
      [`r.io:5000/app:1@${digest}`, { domain: 'r.io:5000', path: 'app', tag: '1', digest }],
      ['Team/App:bad tag', { path: 'Team/App', tag: 'bad tag' }],
    ];
    for (const [input, want] of cases) assert.deepEqual(splitImageRef(input), want, input);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageError } from '../driver.js';
import { normalizeImage, parseImageRef } from './image-ref.js';

describe('image references', () => {
  it('normalises names as Docker shows them', () => {
    const cases: Array<[string, string]> = [
      ['busybox', 'busybox:latest'],
      ['busybox:1.36', 'busybox:1.36'],
      ['library/busybox', 'busybox:latest'],
      ['docker.io/library/busybox:1', 'busybox:1'],
      ['docker.io/team/app', 'team/app:latest'],
      ['shoal/pause:1', 'shoal/pause:1'],
      ['localhost/app', 'localhost/app:latest'],
      ['registry.example.com:5000/team/app:v2', 'registry.example.com:5000/team/app:v2'],
      ['registry:5000/app', 'registry:5000/app:latest'],
      [`app@sha256:${'a'.repeat(64)}`, `app@sha256:${'a'.repeat(64)}`],
      [`app:1@sha256:${'b'.repeat(64)}`, `app:1@sha256:${'b'.repeat(64)}`],
    ];
    for (const [input, want] of cases) assert.equal(normalizeImage(input), want, input);
  });

  it('finds the registry host', () => {
    assert.equal(parseImageRef('busybox').registry, 'docker.io');
    assert.equal(parseImageRef('team/app').registry, 'docker.io');
    assert.equal(parseImageRef('localhost/app').registry, 'localhost');
    assert.equal(parseImageRef('127.0.0.1:5000/app').registry, '127.0.0.1:5000');
    assert.deepEqual(parseImageRef('r.io/a/b:t'), { registry: 'r.io', repository: 'r.io/a/b', tag: 't' });
  });

  it('rejects bad names with InvalidImageName saying which part is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['Busybox', /"Busybox" is not a valid repository name component/],
      ['app:bad tag', /"bad tag" is not a valid tag/],
      ['app@sha256:xyz', /"sha256:xyz" is not a valid digest/],
      ['a//b', /"" is not a valid repository name component/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseImageRef(input),
        (err: ImageError) =>
          err instanceof ImageError && err.reason === 'InvalidImageName' && message.test(err.message),
        input,
      );
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from './errors.js';
import { parseLogQuery, parseStreamQuery, queryBool } from './stream-options.js';

const q = (s: string) => new URLSearchParams(s);

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected an error');
}

describe('parseLogQuery', () => {
  it('reads every PodLogOptions field', () => {
    assert.deepEqual(
      parseLogQuery(
        q(
          'follow=true&previous=1&timestamps=true&tailLines=0&sinceTime=2030-01-01T00:00:00.5%2B02:00&limitBytes=10',
        ),
        'p',
      ),
      {
        follow: true,
        previous: true,
        timestamps: true,
        tailLines: 0,
        sinceTime: new Date('2029-12-31T22:00:00.500Z'),
        limitBytes: 10,
      },
    );
    assert.deepEqual(parseLogQuery(q('sinceSeconds=30'), 'p'), {
      follow: false,
      previous: false,
      timestamps: false,
      sinceSeconds: 30,
    });
  });

  it('rejects out-of-range and malformed values as Kubernetes does', () => {
    const err = failure(() => parseLogQuery(q('tailLines=-1&sinceSeconds=0&limitBytes=x'), 'web'));
    assert.equal(err.code, 422);
    assert.equal(
      err.message,
      'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, ' +
        'sinceSeconds: Invalid value: 0: must be greater than 0, limitBytes: Invalid value: "x": must be an integer]',
    );
    assert.match(
      failure(() => parseLogQuery(q('sinceSeconds=5&sinceTime=2030-01-01T00:00:00Z'), 'web')).message,
      /at most one of `sinceTime` or `sinceSeconds` may be specified/,
    );
    assert.match(
      failure(() => parseLogQuery(q('sinceTime=2030-01-01'), 'web')).message,
      /sinceTime: Invalid value: "2030-01-01": must be an RFC 3339 time/,
    );
    assert.match(
      failure(() => parseLogQuery(q('follow=yes'), 'web')).message,
      /follow: "yes" is not a boolean/,
    );
  });
});

describe('parseStreamQuery', () => {
  it('reads the command and streams', () => {
    assert.deepEqual(parseStreamQuery(q('command=sh&command=-c&command=exit 3&stdout=true&stdin=1'), true), {
      command: ['sh', '-c', 'exit 3'],
      stdin: true,
      stdout: true,
      stderr: false,
      tty: false,
    });
  });

  it('drops stderr with a terminal', () => {
    assert.equal(parseStreamQuery(q('stdout=1&stderr=1&tty=1'), false).stderr, false);
  });

  it('needs a command for exec and at least one stream', () => {
    assert.match(failure(() => parseStreamQuery(q('stdout=1'), true)).message, /at least one command/);
    assert.match(
      failure(() => parseStreamQuery(q('command=ls&stdin=false'), true)).message,
      /at least 1 of stdin, stdout, stderr/,
    );
    // Attach takes no command.
    assert.deepEqual(parseStreamQuery(q('command=ls&stdout=1'), false).command, []);
  });

  it('reads booleans as Kubernetes does', () => {
    assert.equal(queryBool(q('a=TRUE'), 'a'), true);
    assert.equal(queryBool(q('a='), 'a'), false);
    assert.equal(queryBool(q(''), 'a'), false);
    assert.equal(queryBool(q('a=0'), 'a'), false);
  });
});

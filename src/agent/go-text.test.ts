import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goQuote, joinHostPort } from './go-text.js';

describe('go-text', () => {
  it('quotes as Go strconv.Quote does', () => {
    assert.equal(goQuote('sh -c "x"'), '"sh -c \\"x\\""');
    assert.equal(goQuote('a\tb\n\x07\x01\x7f\\'), '"a\\tb\\n\\a\\x01\\x7f\\\\"');
    assert.equal(goQuote('\u0085é'), '"\\u0085é"');
  });

  it('joins host and port as net.JoinHostPort does', () => {
    assert.equal(joinHostPort('10.0.0.5', 80), '10.0.0.5:80');
    assert.equal(joinHostPort('::1', 80), '[::1]:80');
    assert.equal(joinHostPort('example.com', 443), 'example.com:443');
  });
});

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { bearerToken } from './request.js';
import { StaticTokenAuthenticator, unionTokenAuthenticator } from './token.js';

describe('StaticTokenAuthenticator', () => {
  it('reads Kubernetes token files', async () => {
    const auth = StaticTokenAuthenticator.parseCsv(
      [
        '# comment',
        'tok1,alice,uid-a,"g1,g2"',
        '',
        'tok2,bob,',
        'tok3,carol,uid-c,solo',
        'tok4,"d,ave",uid-d',
      ].join('\n'),
    );
    assert.equal(auth.size, 4);
    assert.deepEqual(await auth.authenticate('tok1'), {
      username: 'alice',
      uid: 'uid-a',
      groups: ['g1', 'g2'],
    });
    assert.deepEqual(await auth.authenticate('tok2'), { username: 'bob', groups: [] });
    assert.deepEqual(await auth.authenticate('tok3'), { username: 'carol', uid: 'uid-c', groups: ['solo'] });
    assert.deepEqual(await auth.authenticate('tok4'), { username: 'd,ave', uid: 'uid-d', groups: [] });
    assert.equal(await auth.authenticate('tok'), undefined);
  });

  it('names the line of a malformed entry', () => {
    assert.throws(() => StaticTokenAuthenticator.parseCsv('ok,a,1\nonlytoken\n'), /line 2/);
    assert.throws(() => StaticTokenAuthenticator.parseCsv('t,u,1,"open'), /line 1: unterminated quote/);
  });

  it('adds and removes tokens in code; callers cannot mutate what it returns', async () => {
    const auth = new StaticTokenAuthenticator([
      ['sa-token', { username: 'system:serviceaccount:default:x', groups: ['a'] }],
    ]);
    const u = await auth.authenticate('sa-token');
    u?.groups.push('mutated');
    assert.deepEqual((await auth.authenticate('sa-token'))?.groups, ['a']);
    assert.equal(auth.remove('sa-token'), true);
    assert.equal(await auth.authenticate('sa-token'), undefined);
  });

  it('a missing optional file is an empty table', async () => {
    const auth = await StaticTokenAuthenticator.fromFile('/nonexistent/tokens.csv', { optional: true });
    assert.equal(auth.size, 0);
    await assert.rejects(StaticTokenAuthenticator.fromFile('/nonexistent/tokens.csv'), /ENOENT/);
  });

  it('union answers with the first that knows the token', async () => {
    const a = new StaticTokenAuthenticator([['x', { username: 'a', groups: [] }]]);
    const b = new StaticTokenAuthenticator([
      ['x', { username: 'b', groups: [] }],
      ['y', { username: 'b', groups: [] }],
    ]);
    const u = unionTokenAuthenticator([a, b]);
    assert.equal((await u.authenticate('x'))?.username, 'a');
    assert.equal((await u.authenticate('y'))?.username, 'b');
    assert.equal(await u.authenticate('z'), undefined);
  });
});

describe('bearerToken', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const cases: [string, Record<string, string>, string | undefined][] = [
    ['Bearer header', { authorization: 'Bearer abc' }, 'abc'],
    ['any case', { authorization: 'bearer abc' }, 'abc'],
    ['other scheme', { authorization: 'Basic YTpi' }, undefined],
    ['empty token', { authorization: 'Bearer ' }, undefined],
    ['no header', {}, undefined],
    [
      'websocket subprotocol',
      {
        upgrade: 'websocket',
        'sec-websocket-protocol': `v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from('wstok').toString('base64url')}`,
      },
      'wstok',
    ],
  ];
  for (const [name, headers, want] of cases) {
    it(name, () => assert.equal(bearerToken(req(headers)), want));
  }
});

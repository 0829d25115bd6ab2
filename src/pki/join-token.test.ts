import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCertificateAuthority } from './certs.js';
import {
  checkJoinToken,
  formatJoinToken,
  formatStoredJoinToken,
  generateJoinToken,
  hashJoinToken,
  matchesCaPin,
  parseJoinToken,
  parseStoredJoinToken,
  verifyJoinToken,
} from './join-token.js';

const CA_HASH = 'ab'.repeat(32);

describe('join token', () => {
  it('has the documented format and at least 128 random bits', () => {
    const token = generateJoinToken(CA_HASH);
    const text = formatJoinToken(token);
    assert.match(text, /^SHOAL1::[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{32}$/);
    assert.ok(token.secret.length * Math.log2(36) >= 128);
    assert.notEqual(generateJoinToken(CA_HASH).secret, token.secret);
  });

  it('round-trips through text and verifies against its stored hash', () => {
    const token = generateJoinToken(CA_HASH);
    const stored = parseStoredJoinToken(formatStoredJoinToken(hashJoinToken(token)));
    assert.ok(!formatStoredJoinToken(stored).includes(token.secret), 'the stored form keeps no secret');
    const parsed = parseJoinToken(`  ${formatJoinToken(token)}\n`);
    assert.deepEqual(parsed, token);
    assert.equal(checkJoinToken(parsed, stored), 'ok');
    assert.equal(verifyJoinToken(formatJoinToken(token), stored), true);
  });

  it('fails with a tampered secret', () => {
    const token = generateJoinToken(CA_HASH);
    const stored = hashJoinToken(token);
    const last = token.secret.at(-1) === 'a' ? 'b' : 'a';
    const tampered = { ...token, secret: token.secret.slice(0, -1) + last };
    assert.equal(checkJoinToken(tampered, stored), 'bad-secret');
    assert.equal(verifyJoinToken(formatJoinToken(tampered), stored), false);
  });

  it('detects a token for another CA and an unknown id', () => {
    const token = generateJoinToken(CA_HASH);
    const stored = hashJoinToken(token);
    assert.equal(checkJoinToken({ ...token, caHash: 'cd'.repeat(32) }, stored), 'ca-mismatch');
    assert.equal(
      checkJoinToken({ ...token, id: token.id === 'aaaaaa' ? 'bbbbbb' : 'aaaaaa' }, stored),
      'unknown-id',
    );
  });

  it('rejects malformed text with a message saying what is expected', () => {
    for (const bad of [
      '',
      'SHOAL2::' + CA_HASH + '::abcdef.' + 'a'.repeat(32),
      'SHOAL1::' + CA_HASH.slice(2) + '::abcdef.' + 'a'.repeat(32),
      'SHOAL1::' + CA_HASH + '::abcdef' + 'a'.repeat(32),
      'SHOAL1::' + CA_HASH + '::abcde.' + 'a'.repeat(32),
      'SHOAL1::' + CA_HASH + '::abcdef.' + 'A'.repeat(32),
      'SHOAL1::' + CA_HASH + '::abcdef.' + 'a'.repeat(32) + '::x',
    ]) {
      assert.throws(() => parseJoinToken(bad), /malformed join token/, bad);
      assert.equal(verifyJoinToken(bad, hashJoinToken(generateJoinToken(CA_HASH))), false);
    }
    assert.throws(() => parseStoredJoinToken('SHOAL1-HASH::x'), /malformed stored join token/);
  });

  it('pins the CA certificate for the agent', async () => {
    const [ca, other] = await Promise.all([createCertificateAuthority(), createCertificateAuthority()]);
    const token = parseJoinToken(formatJoinToken(generateJoinToken(ca.hash)));
    assert.equal(matchesCaPin(token, ca.certPem), true);
    assert.equal(matchesCaPin(token, other.certPem), false);
  });
});

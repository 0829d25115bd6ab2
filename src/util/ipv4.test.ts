import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, formatCidr, formatIPv4, nthAddress, parseCidr, parseIPv4 } from './ipv4.js';

test('addresses parse and print as 32-bit numbers', () => {
  assert.equal(parseIPv4('10.42.3.1'), 0x0a2a0301);
  assert.equal(formatIPv4(0x0a2a0301), '10.42.3.1');
  assert.equal(formatIPv4(0xffffffff), '255.255.255.255');
  for (const bad of ['10.42.3', '10.42.3.256', 'a.b.c.d', '10.42.3.1 ', '', '::1']) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

test('CIDRs clear host bits, contain their addresses and name the n-th one', () => {
  const c = parseCidr('10.42.7.9/24');
  assert.equal(formatCidr(c), '10.42.7.0/24');
  assert.equal(c.size, 256);
  assert.equal(nthAddress(c, 1), '10.42.7.1');
  assert.ok(cidrContains(c, parseIPv4('10.42.7.255')!));
  assert.ok(!cidrContains(c, parseIPv4('10.42.8.0')!));
  assert.throws(() => nthAddress(c, 256), /10\.42\.7\.0\/24 has no address number 256/);
});

test('a bad CIDR is refused with what it was', () => {
  for (const bad of ['10.42.0.0', '10.42.0.0/33', '10.42.0/16', '10.42.0.0/x', '10.42.0.0/']) {
    assert.throws(
      () => parseCidr(bad, '--cluster-cidr'),
      new RegExp(`--cluster-cidr must be an IPv4 CIDR.*"${bad.replace(/[./]/g, '\\$&')}"`),
    );
  }
});

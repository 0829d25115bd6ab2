import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cidrContains,
  compareAddresses,
  containsAddress,
  formatCidr,
  formatIPv4,
  isLoopbackAddress,
  nthAddress,
  parseCidr,
  parseIPv4,
  splitCidr,
  tryParseCidr,
} from './ipv4.js';

test('addresses parse and print as 32-bit numbers', () => {
  const cases: [string, number][] = [
    ['10.42.3.1', 0x0a2a0301],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['192.0.2.10', 0xc000020a],
  ];
  for (const [text, n] of cases) {
    assert.equal(parseIPv4(text), n, text);
    assert.equal(formatIPv4(n), text, text);
  }
});

test('anything but a dotted quad without leading zeros is not an address', () => {
  const bad = [
    '10.42.3',
    '10.42.3.256',
    'a.b.c.d',
    '10.42.3.1 ',
    ' 10.42.3.1',
    '',
    '::1',
    '10.42.3.1.5',
    '010.42.3.1',
    '10.42.3.01',
    '10.42..1',
    '1e1.0.0.1',
    '-1.0.0.1',
    '10.42.3.1/32',
  ];
  for (const text of bad) assert.equal(parseIPv4(text), undefined, JSON.stringify(text));
});

test('addresses sort by value, and by text when one is not IPv4', () => {
  const cases: [string[], string[]][] = [
    [
      ['10.0.0.10', '10.0.0.9', '9.255.255.255', '10.0.1.0'],
      ['9.255.255.255', '10.0.0.9', '10.0.0.10', '10.0.1.0'],
    ],
    [
      ['fd00::2', '10.0.0.1', 'fd00::10'],
      ['10.0.0.1', 'fd00::10', 'fd00::2'],
    ],
    [
      ['10.0.0.1', '10.0.0.1'],
      ['10.0.0.1', '10.0.0.1'],
    ],
  ];
  for (const [input, want] of cases)
    assert.deepEqual([...input].sort(compareAddresses), want, input.join(' '));
});

test('CIDRs: the range with host bits cleared, the address as written, and what each contains', () => {
  const cases: {
    text: string;
    address: string;
    range: string;
    size: number;
    inside: string[];
    outside: string[];
  }[] = [
    {
      text: '10.42.7.9/24',
      address: '10.42.7.9',
      range: '10.42.7.0/24',
      size: 256,
      inside: ['10.42.7.0', '10.42.7.255'],
      outside: ['10.42.8.0', '10.42.6.255'],
    },
    {
      text: '10.43.0.0/16',
      address: '10.43.0.0',
      range: '10.43.0.0/16',
      size: 65536,
      inside: ['10.43.255.1'],
      outside: ['10.44.0.1', 'not-an-ip', '010.43.0.1'],
    },
    {
      text: '0.0.0.0/0',
      address: '0.0.0.0',
      range: '0.0.0.0/0',
      size: 2 ** 32,
      inside: ['203.0.113.9', '0.0.0.0', '255.255.255.255'],
      outside: ['::1'],
    },
    {
      text: '255.255.255.255/1',
      address: '255.255.255.255',
      range: '128.0.0.0/1',
      size: 2 ** 31,
      inside: ['128.0.0.0', '255.255.255.255'],
      outside: ['127.255.255.255'],
    },
    {
      text: '192.0.2.1/32',
      address: '192.0.2.1',
      range: '192.0.2.1/32',
      size: 1,
      inside: ['192.0.2.1'],
      outside: ['192.0.2.2', '192.0.2.0'],
    },
  ];
  for (const c of cases) {
    const split = splitCidr(c.text);
    assert.ok(split, c.text);
    assert.equal(formatIPv4(split.address), c.address, c.text);
    assert.equal(formatCidr(split.range), c.range, c.text);
    assert.deepEqual(tryParseCidr(c.text), split.range, c.text);
    assert.deepEqual(parseCidr(c.text), split.range, c.text);
    assert.equal(split.range.size, c.size, c.text);
    for (const ip of c.inside) {
      assert.ok(containsAddress(split.range, ip), `${ip} in ${c.text}`);
      assert.ok(cidrContains(split.range, parseIPv4(ip)!), `${ip} in ${c.text}`);
    }
    for (const ip of c.outside) {
      assert.ok(!containsAddress(split.range, ip), `${ip} not in ${c.text}`);
      const n = parseIPv4(ip);
      if (n !== undefined) assert.ok(!cidrContains(split.range, n), `${ip} not in ${c.text}`);
    }
  }
});

test('a bad CIDR is undefined to tryParseCidr and refused by parseCidr with what it was', () => {
  const bad = [
    '10.42.0.0',
    '10.42.0.0/33',
    '10.42.0/16',
    '10.42.0.0/x',
    '10.42.0.0/',
    '/16',
    '10.42.0.0/16/16',
    '10.42.0.0/016',
    '10.42.0.0/-1',
    '010.42.0.0/16',
    ' 10.42.0.0/16',
    '10.42.0.0/16 ',
    '::/0',
  ];
  for (const text of bad) {
    assert.equal(splitCidr(text), undefined, text);
    assert.equal(tryParseCidr(text), undefined, text);
    assert.throws(
      () => parseCidr(text, '--cluster-cidr'),
      { message: `--cluster-cidr must be an IPv4 CIDR like 10.42.0.0/16, got "${text}"` },
      text,
    );
  }
  assert.throws(() => parseCidr('nope'), {
    message: 'CIDR must be an IPv4 CIDR like 10.42.0.0/16, got "nope"',
  });
});

test('the n-th address of a range, and none past its end', () => {
  const c = parseCidr('10.42.7.9/24');
  const cases: [number, string][] = [
    [0, '10.42.7.0'],
    [1, '10.42.7.1'],
    [255, '10.42.7.255'],
  ];
  for (const [n, ip] of cases) assert.equal(nthAddress(c, n), ip, String(n));
  assert.throws(() => nthAddress(c, 256), { message: '10.42.7.0/24 has no address number 256' });
  assert.throws(() => nthAddress(c, -1), { message: '10.42.7.0/24 has no address number -1' });
});

test('loopback addresses: all of 127.0.0.0/8 and ::1', () => {
  for (const ip of ['127.0.0.1', '127.0.0.53', '::1']) assert.equal(isLoopbackAddress(ip), true, ip);
  for (const ip of ['10.0.0.1', '192.0.2.53', '::2', '']) assert.equal(isLoopbackAddress(ip), false, ip);
});

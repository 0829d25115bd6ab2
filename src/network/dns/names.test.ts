import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addressOfDashedLabel,
  addressOfReverseName,
  cidrContains,
  dashedAddress,
  inZone,
  normalizeName,
  parseCidr,
  reverseName,
} from './names.js';

test('names: normalizing, zones, reverse and dashed forms', () => {
  assert.equal(normalizeName('Web.Default.SVC.cluster.local.'), 'web.default.svc.cluster.local');
  assert.ok(inZone('cluster.local', 'cluster.local'));
  assert.ok(inZone('a.cluster.local', 'cluster.local'));
  assert.ok(!inZone('acluster.local', 'cluster.local'));
  assert.equal(reverseName('10.43.0.5'), '5.0.43.10.in-addr.arpa');
  assert.equal(addressOfReverseName('5.0.43.10.in-addr.arpa'), '10.43.0.5');
  assert.equal(addressOfReverseName('0.43.10.in-addr.arpa'), undefined);
  assert.equal(addressOfReverseName('5.0.43.10.example'), undefined);
  assert.equal(dashedAddress('10.42.0.7'), '10-42-0-7');
  assert.equal(addressOfDashedLabel('10-42-0-7'), '10.42.0.7');
  assert.equal(addressOfDashedLabel('10-42-0'), undefined);
});

test('CIDRs: membership, /0 and /32, and errors that name the value', () => {
  const cases: [string, string, boolean][] = [
    ['10.43.0.0/16', '10.43.255.1', true],
    ['10.43.0.0/16', '10.44.0.1', false],
    ['10.43.7.9/16', '10.43.0.1', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['192.0.2.1/32', '192.0.2.1', true],
    ['192.0.2.1/32', '192.0.2.2', false],
    ['10.0.0.0/8', 'not-an-ip', false],
  ];
  for (const [cidr, ip, want] of cases)
    assert.equal(cidrContains(parseCidr(cidr), ip), want, `${ip} in ${cidr}`);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/x']) {
    assert.throws(() => parseCidr(bad), new RegExp(`invalid IPv4 CIDR "${bad.replaceAll('.', '\\.')}"`));
  }
});

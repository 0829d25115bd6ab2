import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addressOfDashedLabel,
  addressOfReverseName,
  dashedAddress,
  inZone,
  normalizeName,
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

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/object.js';
import type { Informer } from '../client/informer.js';
import { MapCache, type ObjectCache } from './object-cache.js';

const svc = (name: string, namespace: string, port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port }] },
});

test('MapCache lists, gets and tells handlers of adds, updates and deletes', () => {
  const cache = new MapCache([svc('a', 'x', 80)]);
  const seen: string[] = [];
  cache.onAdd((o) => seen.push(`add ${o.metadata.name}`));
  const off = cache.onUpdate((o, n) => seen.push(`update ${o.metadata.name} ${JSON.stringify(n.spec)}`));
  cache.onDelete((o) => seen.push(`delete ${o.metadata.name}`));
  cache.upsert(svc('b', 'y', 81));
  cache.upsert(svc('a', 'x', 82));
  off();
  cache.upsert(svc('a', 'x', 83));
  cache.remove('a', 'x');
  cache.remove('missing', 'x');
  assert.deepEqual(seen, ['add b', 'update a {"ports":[{"port":82}]}', 'delete a']);
  assert.deepEqual(
    cache.list().map((o) => o.metadata.name),
    ['b'],
  );
  assert.equal(cache.list('x').length, 0);
  assert.equal(cache.get('b', 'y')?.metadata.name, 'b');
});

test('an Informer is an ObjectCache', () => {
  // A compile-time check that the real cache fits the interface the network parts take.
  const fits = (i: Informer): ObjectCache => i;
  assert.equal(typeof fits, 'function');
});

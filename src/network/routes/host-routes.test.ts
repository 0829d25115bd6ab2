import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import type { CommandRunner } from '../host-command.js';
import { MapCache } from '../object-cache.js';
import { HostRoutes, parseRoutes, planRoutes, routeCommands } from './host-routes.js';

function node(name: string, podCIDR: string | undefined, ip: string | undefined): Node & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: podCIDR ? { podCIDR } : {},
    status: ip ? { addresses: [{ type: 'InternalIP', address: ip }] } : {},
  };
}

const SELF = { nodeName: 'a', localAddresses: ['192.168.1.10', '127.0.0.1'] };

test('routes every other machine’s podCIDR via its InternalIP', () => {
  const routes = planRoutes(
    [
      node('a', '10.42.0.0/24', '192.168.1.10'),
      node('b', '10.42.1.0/24', '192.168.1.11'),
      node('c', '10.42.2.0/24', '192.168.1.10'), // another agent on this machine
      node('d', '10.42.3.0/24', '127.0.0.1'), // a loopback test node
      node('e', undefined, '192.168.1.12'), // no range yet
      node('f', '10.42.5.0/24', undefined), // no address yet
      node('g', '10.42.6.0/24', '192.168.1.13'),
    ],
    SELF,
  );
  assert.deepEqual(
    [...routes],
    [
      ['10.42.1.0/24', '192.168.1.11'],
      ['10.42.6.0/24', '192.168.1.13'],
    ],
  );
});

test('commands add what is missing or moved and delete what is no longer wanted', () => {
  const current = parseRoutes(
    '10.42.1.0/24 via 192.168.1.11 dev eth0 proto 90\n10.42.2.0/24 via 192.168.1.99 dev eth0 proto 90\n10.42.9.0/24 via 192.168.1.9 dev eth0 proto 90\n',
  );
  const wanted = new Map([
    ['10.42.1.0/24', '192.168.1.11'],
    ['10.42.2.0/24', '192.168.1.12'],
    ['10.42.3.0/24', '192.168.1.13'],
  ]);
  assert.deepEqual(routeCommands(current, wanted), [
    ['route', 'replace', '10.42.2.0/24', 'via', '192.168.1.12', 'proto', '90'],
    ['route', 'replace', '10.42.3.0/24', 'via', '192.168.1.13', 'proto', '90'],
    ['route', 'del', '10.42.9.0/24', 'proto', '90'],
  ]);
});

test('HostRoutes syncs on start and on Node changes, logging failures', async () => {
  const nodes = new MapCache<KubeObject>([node('a', '10.42.0.0/24', '192.168.1.10')]);
  const table = new Map<string, string>();
  const calls: string[] = [];
  const lines: string[] = [];
  let failNext = false;
  const run: CommandRunner = async (_cmd, args) => {
    calls.push(args.join(' '));
    if (args[1] === 'route' && args[2] === 'show') {
      return {
        code: 0,
        stdout: [...table].map(([c, v]) => `${c} via ${v} dev eth0 proto 90`).join('\n'),
        stderr: '',
      };
    }
    if (failNext) {
      failNext = false;
      return { code: 2, stdout: '', stderr: 'Error: Nexthop has invalid gateway.' };
    }
    if (args[1] === 'replace') table.set(args[2]!, args[4]!);
    if (args[1] === 'del') table.delete(args[2]!);
    return { code: 0, stdout: '', stderr: '' };
  };
  const routes = new HostRoutes({ nodes, input: SELF, run, log: (l) => lines.push(l) });
  const stop = new AbortController();
  const running = routes.run(stop.signal);
  await routes.sync();
  assert.deepEqual([...table], []);
  nodes.upsert(node('b', '10.42.1.0/24', '192.168.1.11'));
  await routes.sync();
  assert.deepEqual([...table], [['10.42.1.0/24', '192.168.1.11']]);
  failNext = true;
  nodes.upsert(node('c', '10.42.2.0/24', '10.9.9.9'));
  await routes.sync();
  assert.match(
    lines.join('\n'),
    /warning: pod routes: ip route replace 10\.42\.2\.0\/24 via 10\.9\.9\.9 proto 90: Error: Nexthop/,
  );
  nodes.remove('b');
  await routes.sync();
  assert.deepEqual([...table], [['10.42.2.0/24', '10.9.9.9']]);
  stop.abort();
  await running;
  const before = calls.length;
  nodes.upsert(node('d', '10.42.3.0/24', '192.168.1.14'));
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, before, 'no sync after run ended');
});

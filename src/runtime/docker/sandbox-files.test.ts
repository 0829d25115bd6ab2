import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { SandboxSpec } from '../driver.js';
import { podHostsFile, podResolvConf, SandboxFiles } from './sandbox-files.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-sandbox-files-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const spec: SandboxSpec = {
  podUid: 'u1',
  podName: 'web-0',
  namespace: 'default',
  labels: {},
  hostname: 'web-0',
  hostNetwork: false,
  ports: [],
  extraHosts: ['10.0.0.1 a a.example'],
};

describe('podHostsFile', () => {
  it('has the loopback names, the pod at its address, then its host aliases', () => {
    const text = podHostsFile('web-0', '10.42.0.7', ['10.0.0.1 a a.example', ' fe80::1  b ']);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^# Kubernetes-managed hosts file/);
    assert.ok(lines.includes('127.0.0.1\tlocalhost'));
    assert.ok(lines.includes('::1\tlocalhost ip6-localhost ip6-loopback'));
    assert.ok(lines.includes('10.42.0.7\tweb-0'));
    const aliases = lines.indexOf('# Entries added by HostAliases.');
    assert.ok(aliases > lines.indexOf('10.42.0.7\tweb-0'));
    assert.deepEqual(lines.slice(aliases + 1), ['10.0.0.1\ta\ta.example', 'fe80::1\tb', '']);
  });

  it('leaves the alias section out when there are none, and rejects a line without a name', () => {
    assert.doesNotMatch(podHostsFile('p', '10.1.0.2', []), /HostAliases/);
    assert.throws(
      () => podHostsFile('p', '10.1.0.2', ['10.0.0.2']),
      /extraHosts\[0\] "10\.0\.0\.2" must be "IP name/,
    );
  });
});

describe('podResolvConf', () => {
  const host = [
    '# written by the host',
    'nameserver 127.0.0.53',
    'nameserver 192.0.2.53 ; trailing comment',
    'nameserver ::1',
    'search corp.example lab.example',
    'options edns0',
    'options rotate',
  ].join('\n');

  it("takes the host's settings less its loopback nameservers", () => {
    assert.equal(
      podResolvConf(host),
      'nameserver 192.0.2.53\nsearch corp.example lab.example\noptions edns0 rotate\n',
    );
  });

  it("puts the pod's own settings first, each falling back to the host's on its own", () => {
    assert.equal(
      podResolvConf(host, { nameservers: ['10.96.0.10'], searches: [], options: ['ndots:5'] }),
      'nameserver 10.96.0.10\nsearch corp.example lab.example\noptions ndots:5\n',
    );
    assert.equal(podResolvConf('nameserver 127.0.0.1\n'), '');
  });
});

describe('SandboxFiles', () => {
  it('writes, finds, prunes and removes the files of a sandbox by id', async () => {
    const files = new SandboxFiles(root, async () => 'nameserver 192.0.2.53\n');
    assert.deepEqual(await files.paths('sb1'), {});
    await files.write('sb1', spec, '10.42.0.7');
    await files.write('sb2', spec, '10.42.0.8');
    const paths = await files.paths('sb1');
    assert.equal(paths.hosts, path.join(root, 'sb1', 'hosts'));
    assert.match(fs.readFileSync(paths.hosts!, 'utf8'), /10\.42\.0\.7\tweb-0/);
    assert.equal(fs.readFileSync(paths.resolvConf!, 'utf8'), 'nameserver 192.0.2.53\n');
    await files.prune(new Set(['sb2']));
    assert.deepEqual(fs.readdirSync(root), ['sb2']);
    await files.remove('sb2');
    await files.remove('sb2');
    assert.deepEqual(fs.readdirSync(root), []);
  });
});

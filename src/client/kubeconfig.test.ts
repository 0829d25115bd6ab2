import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeconfigError, kubeconfigPaths, loadKubeconfig } from './kubeconfig.js';

let dir: string;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const full = `
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64('CA PEM')}
- name: dev
  cluster:
    server: https://dev.example:6443
    certificate-authority: certs/ca.pem
    insecure-skip-tls-verify: true
    tls-server-name: api.dev
users:
- name: admin
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
- name: dev-user
  user:
    tokenFile: token.txt
contexts:
- name: prod
  context: {cluster: prod, user: admin}
- name: dev
  context: {cluster: dev, user: dev-user, namespace: team-a}
current-context: prod
`;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-kubeconfig-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kubeconfig', () => {
  it('resolves the current context with embedded certificates', () => {
    const file = write('a/config', full);
    const c = loadKubeconfig({ path: file });
    assert.equal(c.context, 'prod');
    assert.equal(c.server, 'https://10.0.0.1:6443');
    assert.equal(c.namespace, 'default');
    assert.equal(c.ca?.toString(), 'CA PEM');
    assert.equal(c.cert?.toString(), 'CERT PEM');
    assert.equal(c.key?.toString(), 'KEY PEM');
    assert.equal(c.insecureSkipTlsVerify, false);
    assert.deepEqual(c.files, [file]);
  });

  it('resolves files relative to the kubeconfig, and a chosen context', () => {
    const file = write('b/config', full);
    write('b/certs/ca.pem', 'FILE CA');
    write('b/token.txt', 'tok\n');
    const c = loadKubeconfig({ path: file, context: 'dev' });
    assert.equal(c.namespace, 'team-a');
    assert.equal(c.ca?.toString(), 'FILE CA');
    assert.equal(c.tokenFile, path.join(dir, 'b/token.txt'));
    assert.equal(c.insecureSkipTlsVerify, true);
    assert.equal(c.tlsServerName, 'api.dev');
    assert.equal(c.cert, undefined);
  });

  it('picks --kubeconfig, then KUBECONFIG (merged, first wins), then ~/.kube/config', () => {
    assert.deepEqual(kubeconfigPaths({ path: 'x', env: { KUBECONFIG: '/a' } }).paths, [path.resolve('x')]);
    assert.deepEqual(kubeconfigPaths({ env: { KUBECONFIG: `/a${path.delimiter}/b` } }).paths, ['/a', '/b']);
    assert.deepEqual(kubeconfigPaths({ env: {}, homeDir: '/home/u' }).paths, ['/home/u/.kube/config']);

    const first = write(
      'm/first',
      `clusters:\n- name: c\n  cluster: {server: "https://first"}\ncontexts:\n- name: x\n  context: {cluster: c}\n`,
    );
    const second = write(
      'm/second',
      `clusters:\n- name: c\n  cluster: {server: "https://second"}\n- name: d\n  cluster: {server: "https://d"}\nusers:\n- name: u\n  user: {token: abc}\ncontexts:\n- name: x\n  context: {cluster: d}\ncurrent-context: x\n`,
    );
    const missing = path.join(dir, 'm/missing');
    const c = loadKubeconfig({ env: { KUBECONFIG: [missing, first, second].join(path.delimiter) } });
    assert.equal(c.context, 'x');
    assert.equal(c.server, 'https://first', 'the first file to define context x and cluster c wins');
    assert.deepEqual(c.files, [first, second]);

    const home = path.join(dir, 'home');
    write('home/.kube/config', full);
    assert.equal(loadKubeconfig({ env: {}, homeDir: home }).context, 'prod');
  });

  it('reads tokens', () => {
    const file = write(
      't/config',
      `clusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:8080"}\nusers:\n- name: u\n  user: {token: abc}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
    const c = loadKubeconfig({ path: file });
    assert.equal(c.token, 'abc');
    assert.equal(c.server, 'http://127.0.0.1:8080');
  });

  it('names the file and the field in every error', () => {
    const cases: [string, string, RegExp][] = [
      [
        'e1',
        full.replace('current-context: prod', 'current-context: nope'),
        /current-context: context "nope" not found \(known: prod, dev\)/,
      ],
      [
        'e2',
        full.replace(`client-key-data: ${b64('KEY PEM')}`, 'client-key-data: "not base64!"'),
        /users\[name="admin"\]\.user\.client-key-data: not valid base64/,
      ],
      [
        'e3',
        full.replace('server: https://10.0.0.1:6443/', 'server: ftp://x'),
        /clusters\[name="prod"\]\.cluster\.server: must start with https:\/\//,
      ],
      [
        'e4',
        full.replace('context: {cluster: prod, user: admin}', 'context: {cluster: gone, user: admin}'),
        /contexts\[name="prod"\]\.context\.cluster: cluster "gone" not found/,
      ],
      [
        'e5',
        full.replace(`    client-key-data: ${b64('KEY PEM')}\n`, ''),
        /users\[name="admin"\]\.user\.client-key: required with client-certificate/,
      ],
      ['e6', 'clusters: [1', /not valid YAML/],
      ['e7', full.replace('current-context: prod', ''), /current-context: not set/],
      [
        'e8',
        full.replace('    client-key-data', '    exec: {command: x}\n    client-key-data'),
        /user\.exec: credential plugins are not supported/,
      ],
    ];
    for (const [name, text, message] of cases) {
      const file = write(`errors/${name}`, text);
      assert.throws(
        () => loadKubeconfig({ path: file }),
        (err: unknown) => {
          assert.ok(err instanceof KubeconfigError, String(err));
          assert.match(err.message, new RegExp(`^kubeconfig ${file.replace(/[/.]/g, '\\$&')}: `));
          assert.match(err.message, message);
          return true;
        },
        name,
      );
    }
    assert.throws(() => loadKubeconfig({ path: path.join(dir, 'absent') }), /absent: no such file/);
    assert.throws(
      () => loadKubeconfig({ env: { KUBECONFIG: path.join(dir, 'absent') } }),
      /no kubeconfig found/,
    );
  });
});

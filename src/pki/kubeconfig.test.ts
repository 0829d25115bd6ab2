import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildKubeconfig } from './kubeconfig.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('buildKubeconfig', () => {
  it('is YAML that reads back as clientcmd v1 Config, with the certificates embedded', () => {
    const text = buildKubeconfig({
      server: 'https://[::1]:6443',
      caPem: 'CA\n',
      clientCertPem: 'CERT\n',
      clientKeyPem: 'KEY\n',
      userName: 'system:node:web-1',
      clusterName: 'odd: "name" # not a comment',
      namespace: 'kube-system',
    });
    assert.deepEqual(parse(text), {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'odd: "name" # not a comment',
          cluster: { server: 'https://[::1]:6443', 'certificate-authority-data': b64('CA\n') },
        },
      ],
      users: [
        {
          name: 'system:node:web-1',
          user: { 'client-certificate-data': b64('CERT\n'), 'client-key-data': b64('KEY\n') },
        },
      ],
      contexts: [
        {
          name: 'shoal',
          context: {
            cluster: 'odd: "name" # not a comment',
            user: 'system:node:web-1',
            namespace: 'kube-system',
          },
        },
      ],
      'current-context': 'shoal',
      preferences: {},
    });
  });

  it('quotes only what YAML would read as something else', () => {
    const text = buildKubeconfig({
      server: 'https://10.0.0.1:6443',
      caPem: 'a',
      clientCertPem: 'b',
      clientKeyPem: 'c',
      clusterName: 'yes',
      userName: 'system:node:n1',
      contextName: 'ctx:',
    });
    assert.match(text, /^ {6}server: https:\/\/10\.0\.0\.1:6443$/m);
    assert.match(text, /^ {2}- name: system:node:n1$/m);
    assert.match(text, /^ {2}- name: "yes"$/m);
    assert.match(text, /^current-context: "ctx:"$/m);
    assert.equal(parse(text)['current-context'], 'ctx:');
    assert.equal(parse(text).clusters[0].name, 'yes');
  });

  it('gives the same text for the same inputs, defaulting names and namespace', () => {
    const params = { server: 'https://127.0.0.1:6443', caPem: 'a', clientCertPem: 'b', clientKeyPem: 'c' };
    const text = buildKubeconfig(params);
    assert.equal(text, buildKubeconfig({ ...params }));
    const config = parse(text);
    assert.equal(config['current-context'], 'shoal');
    assert.equal(config.users[0].name, 'shoal-admin');
    assert.equal(config.contexts[0].context.namespace, 'default');
  });
});

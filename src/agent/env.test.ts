import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError } from './config-error.js';
import { type EnvContext, resolveEnv } from './env.js';
import { FakeObjectSource } from './fake-object-source.js';

const ctx: EnvContext = {
  nodeName: 'node-a',
  podIP: '10.1.0.5',
  hostIP: '192.168.1.10',
  allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '50Gi' },
};

function podWith(container: Container): Pod {
  return {
    metadata: { name: 'web-0', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [container] },
  };
}

async function envOf(container: Container, sources = new FakeObjectSource()) {
  const result = await resolveEnv(podWith(container), container, sources, ctx);
  return { ...result, vars: Object.fromEntries(result.env.map((e) => [e.name, e.value])) };
}

async function configError(container: Container, sources: FakeObjectSource, message: string | RegExp) {
  await assert.rejects(resolveEnv(podWith(container), container, sources, ctx), (err: unknown) => {
    assert.ok(err instanceof ContainerConfigError, `want ContainerConfigError, got ${err}`);
    assert.equal(err.reason, 'CreateContainerConfigError');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('resolveEnv: envFrom', () => {
  const sources = new FakeObjectSource()
    .setConfigMap('shop', 'app-config', { LOG_LEVEL: 'info', MODE: 'fast', 'bad=key': 'x', '1ST': 'ok' })
    .setSecret('shop', 'db', { PASSWORD: 's3cr3t', USER: 'app' });

  it('takes every key of ConfigMaps and Secrets (secret data decoded), with prefixes', async () => {
    const { vars } = await envOf(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'app-config' } }, { prefix: 'DB_', secretRef: { name: 'db' } }],
      },
      sources,
    );
    assert.deepEqual(vars, {
      '1ST': 'ok',
      LOG_LEVEL: 'info',
      MODE: 'fast',
      DB_PASSWORD: 's3cr3t',
      DB_USER: 'app',
    });
  });

  it('returns the skipped invalid keys with the event Kubernetes records', async () => {
    const { skipped, vars } = await envOf(
      { name: 'c', envFrom: [{ configMapRef: { name: 'app-config' } }] },
      sources,
    );
    assert.equal(vars['bad=key'], undefined);
    assert.deepEqual(skipped, [
      {
        kind: 'ConfigMap',
        namespace: 'shop',
        name: 'app-config',
        keys: ['bad=key'],
        reason: 'InvalidEnvironmentVariableNames',
        message:
          'Keys [bad=key] from the EnvFrom configMap shop/app-config were skipped since they are considered invalid environment variable names.',
      },
    ]);
  });

  it('a later source overrides an earlier one, and env overrides envFrom', async () => {
    const s = new FakeObjectSource()
      .setConfigMap('shop', 'a', { X: 'from-a', Y: 'a' })
      .setConfigMap('shop', 'b', { X: 'from-b' });
    const { env } = await envOf(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'a' } }, { configMapRef: { name: 'b' } }],
        env: [{ name: 'Y', value: 'explicit' }],
      },
      s,
    );
    // Each name once, where it was first defined, with its last value.
    assert.deepEqual(env, [
      { name: 'X', value: 'from-b' },
      { name: 'Y', value: 'explicit' },
    ]);
  });

  it('missing optional sources are skipped; missing required ones fail', async () => {
    const { env } = await envOf({
      name: 'c',
      envFrom: [
        { configMapRef: { name: 'nope', optional: true } },
        { secretRef: { name: 'nope', optional: true } },
      ],
    });
    assert.deepEqual(env, []);
    await configError(
      { name: 'c', envFrom: [{ configMapRef: { name: 'nope' } }] },
      sources,
      'configmap "nope" not found',
    );
    await configError(
      { name: 'c', envFrom: [{ secretRef: { name: 'nope' } }] },
      sources,
      'secret "nope" not found',
    );
  });

  it('a secret key that is not a valid name is reported as a secret', async () => {
    const s = new FakeObjectSource().setSecret('shop', 'odd', { 'a=b': 'x', OK: 'y' });
    const { skipped, vars } = await envOf({ name: 'c', envFrom: [{ secretRef: { name: 'odd' } }] }, s);
    assert.deepEqual(vars, { OK: 'y' });
    assert.equal(
      skipped[0]?.message,
      'Keys [a=b] from the EnvFrom secret shop/odd were skipped since they are considered invalid environment variable names.',
    );
  });
});

describe('resolveEnv: env', () => {
  const sources = new FakeObjectSource()
    .setConfigMap('shop', 'app-config', { LOG_LEVEL: 'debug' })
    .setSecret('shop', 'db', { PASSWORD: 'p@ss\nword' });

  it('expands $(VAR) against earlier entries only, keeps unknown references and honours $$', async () => {
    const { vars } = await envOf({
      name: 'c',
      env: [
        { name: 'HOST', value: 'db.local' },
        { name: 'URL', value: 'postgres://$(HOST):$(PORT)/x' },
        { name: 'PORT', value: '5432' },
        { name: 'LITERAL', value: '$$(HOST)' },
        { name: 'SELF', value: 'a' },
        { name: 'SELF', value: '$(SELF)b' },
      ],
    });
    assert.equal(vars.URL, 'postgres://db.local:$(PORT)/x');
    assert.equal(vars.LITERAL, '$(HOST)');
    assert.equal(vars.SELF, 'ab');
  });

  it('expands references to envFrom variables', async () => {
    const { vars } = await envOf(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'app-config' } }],
        env: [{ name: 'L', value: 'level=$(LOG_LEVEL)' }],
      },
      sources,
    );
    assert.equal(vars.L, 'level=debug');
  });

  it('does not expand values read through valueFrom', async () => {
    const s = new FakeObjectSource().setConfigMap('shop', 'raw', { V: '$(HOME)' });
    const { vars } = await envOf(
      {
        name: 'c',
        env: [
          { name: 'HOME', value: '/root' },
          { name: 'V', valueFrom: { configMapKeyRef: { name: 'raw', key: 'V' } } },
        ],
      },
      s,
    );
    assert.equal(vars.V, '$(HOME)');
  });

  it('reads ConfigMap and Secret keys (secret decoded), and an empty value stays empty', async () => {
    const { vars } = await envOf(
      {
        name: 'c',
        env: [
          { name: 'LOG', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'LOG_LEVEL' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'db', key: 'PASSWORD' } } },
          { name: 'EMPTY', value: '' },
        ],
      },
      sources,
    );
    assert.deepEqual(vars, { LOG: 'debug', PW: 'p@ss\nword', EMPTY: '' });
  });

  it('optional references to missing objects or keys leave the variable unset', async () => {
    const { vars } = await envOf(
      {
        name: 'c',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'NOPE', optional: true } } },
          { name: 'B', valueFrom: { configMapKeyRef: { name: 'missing', key: 'K', optional: true } } },
          { name: 'C', valueFrom: { secretKeyRef: { name: 'db', key: 'NOPE', optional: true } } },
          { name: 'D', valueFrom: { secretKeyRef: { name: 'missing', key: 'K', optional: true } } },
        ],
      },
      sources,
    );
    assert.deepEqual(vars, {});
  });

  it('missing required objects and keys fail with the kubelet messages', async () => {
    const ref = (valueFrom: object): Container => ({ name: 'c', env: [{ name: 'X', valueFrom }] });
    await configError(
      ref({ configMapKeyRef: { name: 'nope', key: 'K' } }),
      sources,
      'configmap "nope" not found',
    );
    await configError(
      ref({ configMapKeyRef: { name: 'app-config', key: 'LEVEL' } }),
      sources,
      "couldn't find key LEVEL in ConfigMap shop/app-config",
    );
    await configError(
      ref({ secretKeyRef: { name: 'db', key: 'USER' } }),
      sources,
      "couldn't find key USER in Secret shop/db",
    );
    await configError(ref({ secretKeyRef: { name: 'nope', key: 'K' } }), sources, 'secret "nope" not found');
  });

  it('reads each object once, however many references it has', async () => {
    const s = new FakeObjectSource().setConfigMap('shop', 'cfg', { A: '1', B: '2' });
    await envOf(
      {
        name: 'c',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A' } } },
          { name: 'Y', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'B' } } },
        ],
      },
      s,
    );
    assert.deepEqual(s.reads, ['configmap shop/cfg']);
  });

  it('resolves fieldRef values', async () => {
    const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
    const { vars } = await envOf({
      name: 'c',
      env: [
        field('NAME', 'metadata.name'),
        field('NS', 'metadata.namespace'),
        field('UID', 'metadata.uid'),
        field('APP', "metadata.labels['app']"),
        field('NODE', 'spec.nodeName'),
        field('SA', 'spec.serviceAccountName'),
        field('POD_IP', 'status.podIP'),
        field('POD_IPS', 'status.podIPs'),
        field('HOST_IP', 'status.hostIP'),
        field('HOST_IPS', 'status.hostIPs'),
        { name: 'GREETING', value: 'hello from $(NAME) on $(NODE)' },
      ],
    });
    assert.deepEqual(vars, {
      NAME: 'web-0',
      NS: 'shop',
      UID: 'u-1',
      APP: 'web',
      NODE: 'node-a',
      SA: 'default',
      POD_IP: '10.1.0.5',
      POD_IPS: '10.1.0.5',
      HOST_IP: '192.168.1.10',
      HOST_IPS: '192.168.1.10',
      GREETING: 'hello from web-0 on node-a',
    });
  });

  it('resolves resourceFieldRef values, rounding up and falling back to node allocatable', async () => {
    const res = (name: string, resource: string, divisor?: string) => ({
      name,
      valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } },
    });
    const { vars } = await envOf({
      name: 'c',
      resources: { limits: { memory: '300Mi' }, requests: { cpu: '1500m', memory: '200Mi' } },
      env: [
        res('CPU_LIMIT', 'limits.cpu'),
        res('CPU_REQUEST', 'requests.cpu'),
        res('CPU_REQUEST_M', 'requests.cpu', '1m'),
        res('MEM_LIMIT', 'limits.memory', '1Mi'),
        res('MEM_LIMIT_G', 'limits.memory', '1Gi'),
        res('MEM_REQUEST', 'requests.memory'),
        res('DISK_LIMIT', 'limits.ephemeral-storage', '1G'),
      ],
    });
    assert.deepEqual(vars, {
      CPU_LIMIT: '2', // no limit: allocatable
      CPU_REQUEST: '2', // 1.5 → 2
      CPU_REQUEST_M: '1500',
      MEM_LIMIT: '300',
      MEM_LIMIT_G: '1', // 0.29 → 1
      MEM_REQUEST: String(200 * 1024 * 1024),
      DISK_LIMIT: '54', // 50Gi = 53.7G → 54
    });
  });

  it('unsupported fields are config errors', async () => {
    await configError(
      { name: 'c', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.nope' } } }] },
      new FakeObjectSource(),
      'field label not supported: spec.nope',
    );
    await configError(
      { name: 'c', env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] },
      new FakeObjectSource(),
      'unsupported container resource : limits.gpu',
    );
  });
});

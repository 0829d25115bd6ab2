import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { ProbeConfigError, probeTiming, resolveProbeAction } from './spec.js';

const container: Container = {
  name: 'web',
  ports: [
    { name: 'http', containerPort: 8080 },
    { name: 'grpc', containerPort: 9090 },
  ],
};

describe('probeTiming', () => {
  it('applies the Kubernetes defaults', () => {
    assert.deepEqual(probeTiming({}, 'readiness'), {
      initialDelayMs: 0,
      periodMs: 10_000,
      timeoutMs: 1000,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it('takes the spec values, and successThreshold only for readiness', () => {
    const probe = {
      initialDelaySeconds: 5,
      periodSeconds: 2,
      timeoutSeconds: 3,
      successThreshold: 4,
      failureThreshold: 6,
    };
    assert.deepEqual(probeTiming(probe, 'readiness'), {
      initialDelayMs: 5000,
      periodMs: 2000,
      timeoutMs: 3000,
      successThreshold: 4,
      failureThreshold: 6,
    });
    assert.equal(probeTiming(probe, 'liveness').successThreshold, 1);
    assert.equal(probeTiming(probe, 'startup').successThreshold, 1);
  });

  it('treats zero as unset, as the API server defaults it', () => {
    assert.equal(probeTiming({ periodSeconds: 0, timeoutSeconds: 0 }, 'liveness').periodMs, 10_000);
    assert.equal(probeTiming({ periodSeconds: 0, timeoutSeconds: 0 }, 'liveness').timeoutMs, 1000);
  });
});

describe('resolveProbeAction', () => {
  it('httpGet: pod IP by default, named port, lower-case scheme, path with a leading slash', () => {
    const action = resolveProbeAction(
      {
        httpGet: {
          port: 'http',
          scheme: 'HTTPS',
          path: 'healthz?full=1',
          httpHeaders: [{ name: 'X-A', value: '1' }],
        },
      },
      'liveness',
      container,
      '10.0.0.5',
    );
    assert.deepEqual(action, {
      type: 'httpGet',
      scheme: 'https',
      host: '10.0.0.5',
      port: 8080,
      path: '/healthz?full=1',
      headers: [{ name: 'X-A', value: '1' }],
    });
  });

  it('httpGet and tcpSocket: an explicit host wins over the pod IP', () => {
    assert.deepEqual(
      resolveProbeAction({ tcpSocket: { host: '127.0.0.1', port: 22 } }, 'readiness', container, '10.0.0.5'),
      { type: 'tcpSocket', host: '127.0.0.1', port: 22 },
    );
    const http = resolveProbeAction({ httpGet: { host: 'h', port: 80 } }, 'readiness', container, undefined);
    assert.equal(http.type === 'httpGet' && `${http.host} ${http.path}`, 'h /');
  });

  it('grpc and exec', () => {
    assert.deepEqual(
      resolveProbeAction({ grpc: { port: 9090, service: 'db' } }, 'startup', container, '10.0.0.5'),
      {
        type: 'grpc',
        host: '10.0.0.5',
        port: 9090,
        service: 'db',
      },
    );
    assert.deepEqual(
      resolveProbeAction({ exec: { command: ['cat', '/tmp/ok'] } }, 'liveness', container, undefined),
      {
        type: 'exec',
        command: ['cat', '/tmp/ok'],
      },
    );
  });

  it('says what is wrong and where', () => {
    const cases: Array<[Parameters<typeof resolveProbeAction>[0], string]> = [
      [{}, 'livenessProbe: no handler (one of exec, httpGet, tcpSocket, grpc is required)'],
      [
        { exec: { command: ['true'] }, tcpSocket: { port: 1 } },
        'livenessProbe: more than one handler (exec, tcpSocket); exactly one is allowed',
      ],
      [{ exec: {} }, 'livenessProbe.exec.command: must not be empty'],
      [
        { httpGet: { port: 'metrics' } },
        'livenessProbe.httpGet.port: port "metrics" is not a named port of container "web"',
      ],
      [
        { tcpSocket: { port: 70000 } },
        'livenessProbe.tcpSocket.port: invalid port number 70000 (must be 1 to 65535)',
      ],
      [{ httpGet: { port: 80, scheme: 'FTP' } }, 'livenessProbe.httpGet.scheme: "FTP" is not HTTP or HTTPS'],
      [{ grpc: { port: 9090 } }, 'livenessProbe.grpc: the pod has no IP address yet and no host is set'],
    ];
    for (const [probe, message] of cases) {
      const podIP = probe.grpc ? undefined : '10.0.0.5';
      assert.throws(
        () => resolveProbeAction(probe, 'liveness', container, podIP),
        (err: Error) => err instanceof ProbeConfigError && err.message === message,
        message,
      );
    }
  });
});

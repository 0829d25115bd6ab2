/**
 * A small web backend for network tests, from the busybox test image: httpd on port 8080 whose
 * `/` (and `/b/`, `/bee/`, for path rules) answers the pod's name and `/cgi-bin/ip` the caller's address as httpd saw it (REMOTE_ADDR),
 * so a test can tell which pod answered and whether the client's IP survived the trip. Ready
 * once it serves (an HTTP readiness probe); a preStop sleep keeps it serving while the endpoint
 * controllers and proxies stop sending it traffic, as users are told to do.
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { type Workload, workload } from './cluster.js';

const SCRIPT = [
  'mkdir -p /www/cgi-bin /www/b /www/bee',
  'echo "$POD_NAME" | tee /www/index.html /www/b/index.html > /www/bee/index.html',
  `printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n%%s\\\\n" "$REMOTE_ADDR"\\n' > /www/cgi-bin/ip`,
  'chmod +x /www/cgi-bin/ip',
  'exec httpd -f -p 8080 -h /www',
].join(' && ');

export interface WebOptions {
  preStopSeconds?: number;
  version?: string;
}

export function webContainer(image: string, options: WebOptions = {}): Container {
  return {
    name: 'web',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', SCRIPT],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'VERSION', value: options.version ?? '1' },
    ],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    ...(options.preStopSeconds
      ? { lifecycle: { preStop: { exec: { command: ['sleep', String(options.preStopSeconds)] } } } }
      : {}),
  };
}

/** The pod spec fields that keep a web backend's rollouts and deletions quick in tests. */
export function webPodSpec(image: string, options: WebOptions = {}) {
  return {
    terminationGracePeriodSeconds: (options.preStopSeconds ?? 0) + 2,
    containers: [webContainer(image, options)],
  };
}

/** A Deployment of `replicas` web backends labelled `app: <name>`. */
export function webDeployment(
  w: Omit<Workload, 'kind' | 'podSpec'> & WebOptions & { image: string; podSpec?: Record<string, unknown> },
) {
  return workload({ ...w, kind: 'Deployment', podSpec: { ...webPodSpec(w.image, w), ...w.podSpec } });
}

/** A ClusterIP Service `name` for the pods labelled `app: <name>`: port `web` 80 to their `http`. */
export function webService(name: string, namespace = 'default') {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  };
}

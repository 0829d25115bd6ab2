/**
 * Kubeconfig files as kubectl reads them (clientcmd's v1 Config): one cluster, one user with
 * embedded client certificate and key, one context made current. Certificates are embedded as
 * `*-data` (base64 of the PEM) so the file works wherever it is copied.
 */
import { isIP } from 'node:net';
import { stringify } from 'yaml';

export interface KubeconfigParams {
  /** `https://host:port` */
  server: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  clusterName?: string;
  userName?: string;
  contextName?: string;
  namespace?: string;
}

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

/** The kubeconfig as YAML text; the same inputs give the same text. */
export function buildKubeconfig(p: KubeconfigParams): string {
  const cluster = p.clusterName ?? 'shoal';
  const user = p.userName ?? 'shoal-admin';
  const context = p.contextName ?? 'shoal';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: p.server, 'certificate-authority-data': b64(p.caPem) } }],
    users: [
      {
        name: user,
        user: { 'client-certificate-data': b64(p.clientCertPem), 'client-key-data': b64(p.clientKeyPem) },
      },
    ],
    contexts: [{ name: context, context: { cluster, user, namespace: p.namespace ?? 'default' } }],
    'current-context': context,
    preferences: {},
  };
  return stringify(config, { lineWidth: 0 });
}

/**
 * The URL clients should use for a server listening on host:port. A wildcard listen address
 * (0.0.0.0, ::, empty) is reached locally through 127.0.0.1; IPv6 literals get brackets.
 */
export function serverUrl(listenHost: string, listenPort: number): string {
  const host = specificListenHost(listenHost) ?? '127.0.0.1';
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${listenPort}`;
}

/** A listen address without IPv6 brackets, or undefined for a wildcard (0.0.0.0, ::, empty). */
export function specificListenHost(listenHost: string): string | undefined {
  const host = listenHost.replace(/^\[(.*)\]$/, '$1');
  const wildcard = host === '' || host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0';
  return wildcard ? undefined : host;
}

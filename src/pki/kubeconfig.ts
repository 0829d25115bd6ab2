/**
 * Kubeconfig files as kubectl reads them (clientcmd's v1 Config): one cluster, one user with
 * embedded client certificate and key, one context made current. Certificates are embedded as
 * `*-data` (base64 of the PEM) so the file works wherever it is copied.
 *
 * The layout is fixed and every value a string, so the text is written here (a value that could be
 * misread goes as a JSON string, which YAML reads as a double-quoted scalar): the agent writes its
 * node's kubeconfig at every start, and a YAML library in its memory for that alone would cost
 * more than this.
 */
import { isIP } from 'node:net';

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
/**
 * A YAML scalar for `value`: plain when it can only be read back as that string (a letter first,
 * no `: ` nor ` #`, not a YAML 1.1 boolean or null), else double-quoted as JSON.
 */
function q(value: string): string {
  const plain =
    /^[A-Za-z][A-Za-z0-9_./+=:@[\]-]*$/.test(value) &&
    !value.endsWith(':') &&
    !/^(y|yes|n|no|true|false|on|off|null)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** The kubeconfig as YAML text; the same inputs give the same text. */
export function buildKubeconfig(p: KubeconfigParams): string {
  const cluster = p.clusterName ?? 'shoal';
  const user = p.userName ?? 'shoal-admin';
  const context = p.contextName ?? 'shoal';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `  - name: ${q(cluster)}`,
    '    cluster:',
    `      server: ${q(p.server)}`,
    `      certificate-authority-data: ${q(b64(p.caPem))}`,
    'users:',
    `  - name: ${q(user)}`,
    '    user:',
    `      client-certificate-data: ${q(b64(p.clientCertPem))}`,
    `      client-key-data: ${q(b64(p.clientKeyPem))}`,
    'contexts:',
    `  - name: ${q(context)}`,
    '    context:',
    `      cluster: ${q(cluster)}`,
    `      user: ${q(user)}`,
    `      namespace: ${q(p.namespace ?? 'default')}`,
    `current-context: ${q(context)}`,
    'preferences: {}',
    '',
  ].join('\n');
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

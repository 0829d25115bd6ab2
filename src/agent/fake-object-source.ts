/**
 * An ObjectSource for tests: ConfigMaps and Secrets kept in maps, changed at will. Secret values
 * are given in plain text and stored base64-encoded, as the API holds them.
 */
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { ObjectSource } from './object-source.js';

export class FakeObjectSource implements ObjectSource {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly secrets = new Map<string, Secret>();
  /** Every read, as `configmap ns/name` or `secret ns/name`, in order. */
  readonly reads: string[] = [];

  setConfigMap(
    namespace: string,
    name: string,
    data: Record<string, string>,
    binaryData?: Record<string, Buffer>,
  ): this {
    const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace, name }, data };
    if (binaryData)
      cm.binaryData = Object.fromEntries(
        Object.entries(binaryData).map(([k, v]) => [k, v.toString('base64')]),
      );
    this.configMaps.set(`${namespace}/${name}`, cm);
    return this;
  }

  setSecret(namespace: string, name: string, data: Record<string, string | Buffer>): this {
    const encoded = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    );
    this.secrets.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace, name },
      data: encoded,
    });
    return this;
  }

  deleteConfigMap(namespace: string, name: string): void {
    this.configMaps.delete(`${namespace}/${name}`);
  }

  async configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    this.reads.push(`configmap ${namespace}/${name}`);
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async secret(namespace: string, name: string): Promise<Secret | undefined> {
    this.reads.push(`secret ${namespace}/${name}`);
    return this.secrets.get(`${namespace}/${name}`);
  }
}

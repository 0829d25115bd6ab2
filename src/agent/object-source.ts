/**
 * Where the agent reads the ConfigMaps and Secrets a pod refers to (backed by informers in the
 * agent, by a map in tests), and how their values are read: ConfigMap `binaryData` and all Secret
 * `data` are base64 in the API objects.
 */
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';

export interface ObjectSource {
  /** The ConfigMap, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  /** The Secret, or undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Secret | undefined>;
}

/** The kubelet's wording for a missing object (its object managers use the singular resource). */
export function notFoundMessage(kind: 'configmap' | 'secret', name: string): string {
  return `${kind} "${name}" not found`;
}

/** A ConfigMap key's bytes, from `data` or else `binaryData`; undefined when the key is absent. */
export function configMapBytes(cm: ConfigMap, key: string): Buffer | undefined {
  const text = cm.data?.[key];
  if (text !== undefined) return Buffer.from(text, 'utf8');
  const b64 = cm.binaryData?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
}

/** Every key of a ConfigMap with its bytes (`data` and `binaryData`; the API keeps them disjoint). */
export function configMapEntries(cm: ConfigMap): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const key of Object.keys(cm.data ?? {})) out.push([key, configMapBytes(cm, key)!]);
  for (const key of Object.keys(cm.binaryData ?? {}))
    if (cm.data?.[key] === undefined) out.push([key, configMapBytes(cm, key)!]);
  return out;
}

/** A Secret key's decoded bytes; undefined when the key is absent. */
export function secretBytes(secret: Secret, key: string): Buffer | undefined {
  const b64 = secret.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64');
}

/** Every key of a Secret with its decoded bytes. */
export function secretEntries(secret: Secret): Array<[string, Buffer]> {
  return Object.keys(secret.data ?? {}).map((key) => [key, secretBytes(secret, key)!]);
}

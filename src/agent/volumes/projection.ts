/**
 * What configMap, secret, downwardAPI and projected volumes contain: each source turned into a
 * payload (relative path → bytes and mode) for the atomic writer, with the kubelet's rules —
 * without `items` every key becomes a file; with `items` only the listed keys, at their paths;
 * a missing optional object gives an empty volume; modes come from the item, else `defaultMode`.
 */
import type {
  ConfigMap,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  ProjectedVolumeSource,
  Secret,
} from 'kubernetes-types/core/v1.js';
import { type Allocatable, metadataFieldValue, resourceFieldValue } from '../downward.js';
import {
  configMapBytes,
  configMapEntries,
  notFoundMessage,
  type ObjectSource,
  secretBytes,
  secretEntries,
} from '../object-source.js';
import type { Payload } from './atomic-writer.js';

/** The API's default for `defaultMode` (0644), for specs that were not defaulted. */
const DEFAULT_MODE = 0o644;

interface KeyedSource {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}

export async function configMapPayload(
  source: KeyedSource,
  defaultMode: number | undefined,
  namespace: string,
  sources: ObjectSource,
): Promise<Payload> {
  const name = source.name ?? '';
  const cm: ConfigMap | undefined = await sources.configMap(namespace, name);
  if (!cm && !source.optional) throw new Error(notFoundMessage('configmap', name));
  return keyedPayload(
    source,
    defaultMode,
    cm ? configMapEntries(cm) : [],
    (key) => (cm ? configMapBytes(cm, key) : undefined),
    (key) => `configmap references non-existent config key: ${key}`,
  );
}

export async function secretPayload(
  source: KeyedSource,
  defaultMode: number | undefined,
  namespace: string,
  sources: ObjectSource,
): Promise<Payload> {
  const name = source.name ?? '';
  const secret: Secret | undefined = await sources.secret(namespace, name);
  if (!secret && !source.optional) throw new Error(notFoundMessage('secret', name));
  return keyedPayload(
    source,
    defaultMode,
    secret ? secretEntries(secret) : [],
    (key) => (secret ? secretBytes(secret, key) : undefined),
    (key) => `references non-existent secret key: ${key}`,
  );
}

function keyedPayload(
  source: KeyedSource,
  defaultMode: number | undefined,
  entries: Array<[string, Buffer]>,
  lookup: (key: string) => Buffer | undefined,
  missingKey: (key: string) => string,
): Payload {
  const mode = defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  if (!source.items?.length) {
    for (const [key, data] of entries) payload.set(key, { data, mode });
    return payload;
  }
  for (const item of source.items) {
    const data = lookup(item.key);
    if (data === undefined) {
      if (source.optional) continue;
      throw new Error(missingKey(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? mode });
  }
  return payload;
}

/**
 * downwardAPI items: `fieldRef` (metadata fields only, as in Kubernetes' volumes) and
 * `resourceFieldRef` (with `containerName`). Every failing item is reported, not only the first.
 */
export function downwardAPIPayload(
  items: DownwardAPIVolumeFile[] | undefined,
  defaultMode: number | undefined,
  pod: Pod,
  allocatable: Allocatable,
): Payload {
  const payload: Payload = new Map();
  const errors: Error[] = [];
  for (const item of items ?? []) {
    const mode = item.mode ?? defaultMode ?? DEFAULT_MODE;
    try {
      let value = '';
      if (item.fieldRef) value = metadataFieldValue(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef)
        value = resourceFieldValue(item.resourceFieldRef, pod, undefined, allocatable);
      payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode });
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length > 0) throw aggregate(errors);
  return payload;
}

/** All sources of a projected volume merged into one payload (a later source wins a path). */
export async function projectedPayload(
  source: ProjectedVolumeSource,
  pod: Pod,
  sources: ObjectSource,
  allocatable: Allocatable,
): Promise<Payload> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const payload: Payload = new Map();
  const errors: Error[] = [];
  for (const s of source.sources ?? []) {
    try {
      let part: Payload;
      if (s.configMap) part = await configMapPayload(s.configMap, source.defaultMode, namespace, sources);
      else if (s.secret) part = await secretPayload(s.secret, source.defaultMode, namespace, sources);
      else if (s.downwardAPI)
        part = downwardAPIPayload(s.downwardAPI.items, source.defaultMode, pod, allocatable);
      else if (s.serviceAccountToken)
        throw new Error(
          `projected serviceAccountToken (path ${JSON.stringify(s.serviceAccountToken.path)}) is not supported by Shoal yet`,
        );
      else if (s.clusterTrustBundle)
        throw new Error('projected clusterTrustBundle is not supported by Shoal yet');
      else continue;
      for (const [path, file] of part) payload.set(path, file);
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length > 0) throw aggregate(errors);
  return payload;
}

/** One error as itself, several as "[a, b]" (how Kubernetes prints an aggregate). */
function aggregate(errors: Error[]): Error {
  return errors.length === 1 ? errors[0]! : new Error(`[${errors.map((e) => e.message).join(', ')}]`);
}

/**
 * A container's final environment, resolved as the kubelet resolves it: `envFrom` sources first
 * (in order, each ConfigMap/Secret key as a variable, with `prefix`), then `env` in order, later
 * entries overriding earlier ones. `value` expands `$(VAR)` against everything defined before it;
 * `valueFrom` reads a ConfigMap or Secret key, a pod field or a resource amount.
 *
 * Anything that stops the container from being created (a missing required ConfigMap, Secret or
 * key, an unsupported field) throws `ContainerConfigError` with the kubelet's message.
 */
import type { ConfigMap, Container, EnvVarSource, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { isRelaxedEnvVarName } from '../api/validation/names.js';
import { errorMessage } from '../util/error-message.js';
import { ContainerConfigError } from './config-error.js';
import { type Allocatable, type PodAddresses, podFieldValue, resourceFieldValue } from './downward.js';
import { expandVars, literalIfUnknown } from './expansion.js';
import { notFoundMessage, type ObjectSource, secretBytes, secretEntries } from './object-source.js';

export interface EnvContext extends PodAddresses {
  nodeName: string;
  /** The node's allocatable amounts, which `limits.*` references fall back to when unset. */
  allocatable?: Allocatable;
}

export interface EnvVarValue {
  name: string;
  value: string;
}

/**
 * Keys of one `envFrom` source that were not used because they are no valid variable names. The
 * kubelet reports each as a Warning event on the pod; `reason` and `message` are that event's.
 */
export interface SkippedEnvKeys {
  kind: 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
  keys: string[];
  reason: 'InvalidEnvironmentVariableNames';
  message: string;
}

export interface ResolvedEnv {
  /** Each name once, in the order it was first defined, with the value defined last. */
  env: EnvVarValue[];
  skipped: SkippedEnvKeys[];
}

export async function resolveEnv(
  pod: Pod,
  container: Container,
  sources: ObjectSource,
  ctx: EnvContext,
): Promise<ResolvedEnv> {
  try {
    return await resolve(pod, container, sources, ctx);
  } catch (err) {
    if (err instanceof ContainerConfigError) throw err;
    throw new ContainerConfigError(errorMessage(err), { cause: err });
  }
}

async function resolve(
  pod: Pod,
  container: Container,
  sources: ObjectSource,
  ctx: EnvContext,
): Promise<ResolvedEnv> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const objects = new ObjectCache(sources, namespace);
  const vars = new Map<string, string>();
  const skipped: SkippedEnvKeys[] = [];

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: Array<[string, string]>;
    let kind: SkippedEnvKeys['kind'];
    let name: string;
    if (from.configMapRef) {
      kind = 'ConfigMap';
      name = from.configMapRef.name ?? '';
      const cm = await objects.configMap(name, from.configMapRef.optional === true);
      if (!cm) continue;
      // Only `data`: the kubelet does not turn binaryData into variables.
      entries = Object.entries(cm.data ?? {});
    } else if (from.secretRef) {
      kind = 'Secret';
      name = from.secretRef.name ?? '';
      const secret = await objects.secret(name, from.secretRef.optional === true);
      if (!secret) continue;
      entries = secretEntries(secret).map(([k, v]) => [k, v.toString('utf8')]);
    } else {
      continue;
    }
    const invalid: string[] = [];
    // Sorted so that the resulting order (and the container's spec hash) never depends on how
    // the object's keys happened to be stored.
    for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const varName = prefix + key;
      if (isRelaxedEnvVarName(varName).length > 0) invalid.push(varName);
      else vars.set(varName, value);
    }
    if (invalid.length > 0) {
      invalid.sort();
      skipped.push({
        kind,
        namespace,
        name,
        keys: invalid,
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.join(', ')}] from the EnvFrom ${kind === 'ConfigMap' ? 'configMap' : 'secret'} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  for (const v of container.env ?? []) {
    if (v.value) {
      vars.set(v.name, expandVars(v.value, literalIfUnknown(vars)));
    } else if (v.valueFrom) {
      const value = await valueFrom(v.valueFrom, pod, container, objects, ctx);
      // An optional reference to something missing leaves the variable undefined, not empty.
      if (value !== undefined) vars.set(v.name, value);
    } else {
      vars.set(v.name, '');
    }
  }

  return { env: [...vars].map(([name, value]) => ({ name, value })), skipped };
}

async function valueFrom(
  from: EnvVarSource,
  pod: Pod,
  container: Container,
  objects: ObjectCache,
  ctx: EnvContext,
): Promise<string | undefined> {
  if (from.configMapKeyRef) {
    const { name = '', key, optional = false } = from.configMapKeyRef;
    const cm = await objects.configMap(name, optional);
    if (!cm) return undefined;
    const value = cm.data?.[key];
    if (value === undefined && !optional)
      throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${objects.namespace}/${name}`);
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional = false } = from.secretKeyRef;
    const secret = await objects.secret(name, optional);
    if (!secret) return undefined;
    const value = secretBytes(secret, key);
    if (value === undefined && !optional)
      throw new ContainerConfigError(`couldn't find key ${key} in Secret ${objects.namespace}/${name}`);
    return value?.toString('utf8');
  }
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef, ctx);
  if (from.resourceFieldRef)
    return resourceFieldValue(from.resourceFieldRef, pod, container, ctx.allocatable ?? {});
  return '';
}

/** Each object read once per resolution, as the kubelet does, so all references see one version. */
class ObjectCache {
  private readonly configMaps = new Map<string, Promise<ConfigMap | undefined>>();
  private readonly secrets = new Map<string, Promise<Secret | undefined>>();

  constructor(
    private readonly sources: ObjectSource,
    readonly namespace: string,
  ) {}

  async configMap(name: string, optional: boolean): Promise<ConfigMap | undefined> {
    let got = this.configMaps.get(name);
    if (!got) {
      got = this.sources.configMap(this.namespace, name);
      this.configMaps.set(name, got);
    }
    const cm = await got;
    if (!cm && !optional) throw new ContainerConfigError(notFoundMessage('configmap', name));
    return cm;
  }

  async secret(name: string, optional: boolean): Promise<Secret | undefined> {
    let got = this.secrets.get(name);
    if (!got) {
      got = this.sources.secret(this.namespace, name);
      this.secrets.set(name, got);
    }
    const secret = await got;
    if (!secret && !optional) throw new ContainerConfigError(notFoundMessage('secret', name));
    return secret;
  }
}

/**
 * A container cannot be created because of its configuration (a missing ConfigMap, Secret or
 * key, a bad subPath, ...). The agent shows it as the container's waiting reason
 * `CreateContainerConfigError` with this message, and retries on the next sync.
 */
export class ContainerConfigError extends Error {
  override name = 'ContainerConfigError';
  readonly reason = 'CreateContainerConfigError';
}

/**
 * The status write the DaemonSet and StatefulSet controllers end each pass with: through the
 * `/status` subresource, and only when what the controller computes differs from what the object
 * has. `conditions` are not the controller's to compute here: they are kept as they are.
 */
import { canonicalJson } from '../../api/json-value.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';
import type { Client } from '../../client/rest.js';

export async function writeStatus(
  client: Client,
  def: ResourceDef,
  cached: KubeObject,
  status: object,
): Promise<void> {
  const { conditions, ...previous } = (cached.status ?? {}) as { conditions?: unknown };
  if (canonicalJson(previous) === canonicalJson(status)) return;
  await client.update(
    def,
    cached.metadata.namespace,
    {
      ...structuredClone(cached),
      status: { ...status, ...(conditions ? { conditions } : {}) },
    } as KubeObject,
    { subresource: 'status' },
  );
}

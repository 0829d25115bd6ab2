/**
 * The per-kind knowledge the generic storage calls into: defaults, validation, schema-driven
 * field checks, patch engines and managedFields bookkeeping. Injected so that the storage logic
 * is tested with fakes and each piece lives in the folder that owns it.
 */
import type { FieldError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';

import type { PatchType } from '../patch/index.js';

export type { PatchType };

export interface PatchRequest {
  type: PatchType;
  body: string;
  fieldManager?: string;
  /** Only when the request carried `force` (Kubernetes refuses it on non-apply patches). */
  force?: boolean;
  /** 'status' when patching the status subresource. */
  subresource?: string;
  /** The object's name, for the 404 of a patch to an absent object. */
  name?: string;
}

export interface Machinery {
  /** Fill Kubernetes' defaults into `obj`; `old` is the stored object on updates. */
  applyDefaults(def: ResourceDef, obj: KubeObject, old?: KubeObject): void;
  validate(def: ResourceDef, obj: KubeObject, old?: KubeObject): FieldError[];
  /**
   * Removes the fields of `obj` its schema does not declare, as Kubernetes' decoding drops them,
   * and names them as Kubernetes does (`spec.foo`).
   */
  pruneUnknownFields(def: ResourceDef, obj: KubeObject): string[];
  /**
   * Apply a patch to `current` (undefined: absent, only apply may create). Never mutates inputs.
   * Server-side apply records its ownership in the result's managedFields; for the other types
   * the caller records the Update with `trackUpdate` once the result is defaulted.
   */
  patch(def: ResourceDef, current: KubeObject | undefined, patch: PatchRequest, now: Date): KubeObject;
  /** Record `manager`'s ownership of what changed between `old` and `updated`. */
  trackUpdate(
    def: ResourceDef,
    old: KubeObject | undefined,
    updated: KubeObject,
    manager: string,
    now: Date,
    subresource?: string,
  ): KubeObject;
}

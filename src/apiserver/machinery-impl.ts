/**
 * The production wiring of the per-kind knowledge the generic storage calls into: Kubernetes'
 * defaults and validation (src/api), the generated schemas, the patch engines and managedFields
 * bookkeeping (./patch), and the table printers.
 */
import { applyDefaults } from '../api/defaults/index.js';
import { apiVersionOf, type ResourceDef } from '../api/resources.js';
import { pruneUnknownFields, schemaFor } from '../api/schema/index.js';
import { toTable } from '../api/tables/index.js';
import { validateObject } from '../api/validation/index.js';
import { applyPatch, applyUpdatePatch, type PatchContext, updateManagedFields } from './patch/index.js';
import type { Machinery } from './registry/machinery.js';
import type { TablePrinter } from './resource-handler.js';

export const defaultMachinery: Machinery = {
  applyDefaults: (def, obj, old) => applyDefaults(def, obj, old),
  validate: (def, obj, old) => validateObject(def, obj, old),
  pruneUnknownFields: (def, obj) => pruneUnknownFields(def, obj),
  patch(def, current, patch, now) {
    const ctx: PatchContext = {
      schema: schemaFor(def),
      ...(patch.fieldManager ? { fieldManager: patch.fieldManager } : {}),
      ...(patch.force !== undefined ? { force: patch.force } : {}),
      now: () => now,
      apiVersion: apiVersionOf(def),
      kind: def.kind,
      ...(patch.subresource ? { subresource: patch.subresource } : {}),
      hasStatusSubresource: def.hasStatus,
      target: {
        group: def.group,
        resource: def.resource,
        kind: def.kind,
        ...(patch.name ? { name: patch.name } : {}),
      },
    };
    // Apply records ownership itself; other patches are recorded by trackUpdate after defaulting.
    return patch.type === 'apply'
      ? applyPatch('apply', current, patch.body, ctx)
      : applyUpdatePatch(patch.type, current, patch.body, ctx);
  },
  trackUpdate(def: ResourceDef, old, updated, manager, now, subresource) {
    return updateManagedFields(old, updated, {
      manager,
      operation: 'Update',
      apiVersion: apiVersionOf(def),
      now: () => now,
      schema: schemaFor(def),
      ...(subresource ? { subresource } : {}),
      hasStatusSubresource: def.hasStatus,
    });
  },
};

export const printTable: TablePrinter = (def, objects, options) =>
  toTable(def, objects, options) as unknown as Record<string, unknown>;

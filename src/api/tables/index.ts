/**
 * Server-side table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the
 * meta.k8s.io/v1 Table kubectl prints for `kubectl get`, with the columns Kubernetes' printers
 * define per kind (printers.ts) and ages formatted as kubectl formats them (duration.ts).
 *
 * Like the Kubernetes API server, the table carries every column, the `-o wide` ones marked
 * `priority: 1`; kubectl hides those unless asked. Each row carries the object as the request's
 * `includeObject` asks: Metadata (the default: a PartialObjectMetadata), Object, or None.
 */
import type { KubeObject } from '../object.js';
import type { ResourceDef } from '../resources.js';
import { defaultPrinter, PRINTERS, type TableColumnDefinition, type TableRowCondition } from './printers.js';

export type IncludeObject = 'None' | 'Object' | 'Metadata';

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  /** The clock ages are measured against. */
  now: Date;
  /**
   * Include the priority-1 ("-o wide") columns. Defaults to true, which is what the Kubernetes API
   * server always sends; false drops them, as a client-side narrow table would.
   */
  wide?: boolean;
  /** What each row's `object` holds; Kubernetes' default is Metadata. */
  includeObject?: IncludeObject;
  /** The list's metadata (resourceVersion, continue, remainingItemCount) to carry over. */
  listMeta?: Table['metadata'];
}

/** The object a row carries for `includeObject`. */
function rowObject(obj: KubeObject, includeObject: IncludeObject): unknown {
  switch (includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

export function toTable(def: ResourceDef, objects: KubeObject[], opts: TableOptions): Table {
  const printer = PRINTERS[def.kind] ?? defaultPrinter;
  const wide = opts.wide ?? true;
  const keep = printer.columns.map((c) => wide || c.priority === 0);
  const includeObject = opts.includeObject ?? 'Metadata';
  const rows = objects.map((obj): TableRow => {
    const all = printer.cells(obj as Record<string, unknown>, { now: opts.now, wide });
    const row: TableRow = { cells: all.filter((_, i) => keep[i]) };
    const conditions = printer.conditions?.(obj as Record<string, unknown>);
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...(opts.listMeta ?? {}) },
    columnDefinitions: printer.columns.filter((_, i) => keep[i]),
    rows,
  };
}

export { age, humanDuration, shortHumanDuration } from './duration.js';
export { summarizePod } from './pod-status.js';
export {
  formatLabels,
  PRINTERS,
  type Printer,
  type TableColumnDefinition,
  type TableRowCondition,
} from './printers.js';

/**
 * Output formats for `shoal get`: the server's Table as aligned columns (kubectl's tabwriter
 * rules: uppercase headers, 3 spaces of padding, columns at least 6 wide, the last column
 * unpadded; `-o wide` adds the priority > 0 columns; `-A` adds NAMESPACE), and YAML, JSON and
 * `kind/name` for objects.
 */
import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../../api/object.js';
import { apiVersionOf, type ResourceDef } from '../../api/resources.js';
import type { Table, TableRow } from '../../client/rest.js';
import { resourceName } from './common.js';

const PADDING = 3;
const MIN_WIDTH = 6;

export interface TableFormat {
  /** -o wide: also the columns of priority > 0. */
  wide?: boolean;
  /** -A: a NAMESPACE column first, from each row's object metadata. */
  withNamespace?: boolean;
  noHeaders?: boolean;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return value === '' ? '' : '<none>';
  if (typeof value === 'string') return value.replace(/[\r\n\t]+/g, ' ');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function visibleColumns(table: Table, wide: boolean): number[] {
  const out: number[] = [];
  table.columnDefinitions.forEach((c, i) => {
    if (wide || !c.priority) out.push(i);
  });
  return out;
}

/** The header cells a table prints with. */
function headerCells(table: Table, format: TableFormat = {}): string[] {
  const cols = visibleColumns(table, format.wide ?? false);
  const names = cols.map((i) => table.columnDefinitions[i]!.name.toUpperCase());
  return format.withNamespace ? ['NAMESPACE', ...names] : names;
}

/** One row's printed cells. */
function rowCells(
  table: Pick<Table, 'columnDefinitions'>,
  row: TableRow,
  format: TableFormat = {},
): string[] {
  const cols = visibleColumns(table as Table, format.wide ?? false);
  const cells = cols.map((i) => cellText(row.cells[i]));
  return format.withNamespace ? [cellText(row.object?.metadata?.namespace ?? ''), ...cells] : cells;
}

function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Aligned lines for rows of cells. `widths` (column widths including padding) are widened to fit
 * and returned, so later rows (`get -w`) line up with earlier ones.
 */
export function alignRows(
  rows: string[][],
  widths: number[] = [],
  padding = PADDING,
  minWidth = MIN_WIDTH,
): { lines: string[]; widths: number[] } {
  const w = [...widths];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return; // the last cell is not a column: it is never padded
      w[i] = Math.max(w[i] ?? minWidth, width(cell) + padding, minWidth);
    });
  }
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(w[i]! - width(cell))))
      .join('')
      .trimEnd(),
  );
  return { lines, widths: w };
}

/** A table as kubectl prints it. */
export function formatTable(table: Table, format: TableFormat = {}): string[] {
  const rows = table.rows.map((r) => rowCells(table, r, format));
  if (!format.noHeaders) rows.unshift(headerCells(table, format));
  return alignRows(rows).lines;
}

/** Prints a table, then more rows aligned with it (for watches). */
export class StreamingTable {
  private widths: number[] = [];
  private columns: Table['columnDefinitions'] | undefined;

  constructor(
    private readonly format: TableFormat,
    private readonly write: (line: string) => void,
  ) {}

  /** The first table: headers (unless none) and its rows. */
  start(table: Table): void {
    this.columns = table.columnDefinitions;
    const rows = table.rows.map((r) => rowCells(table, r, this.format));
    if (!this.format.noHeaders) rows.unshift(headerCells(table, this.format));
    this.print(rows);
  }

  /** The rows of a later (one-row) table. */
  rows(table: Table): void {
    if (!this.columns) {
      this.start(table);
      return;
    }
    this.print(table.rows.map((r) => rowCells({ columnDefinitions: this.columns! }, r, this.format)));
  }

  private print(rows: string[][]): void {
    const { lines, widths } = alignRows(rows, this.widths);
    this.widths = widths;
    for (const line of lines) this.write(line);
  }
}

/** `deployment.apps/web` */
export function nameOf(def: ResourceDef, obj: KubeObject): string {
  return `${resourceName(def)}/${obj.metadata.name ?? ''}`;
}

/** Objects as -o yaml / -o json print them: one object as itself, several as a v1 List. */
export function formatObjects(objects: KubeObject[], output: 'yaml' | 'json', asList: boolean): string {
  const value = asList
    ? { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }
    : objects[0];
  return output === 'json' ? `${JSON.stringify(value, null, 4)}\n` : toYaml(value, { lineWidth: 0 });
}

/** Items of a list come without apiVersion and kind from some servers: put them back. */
export function withTypeMeta(def: ResourceDef, obj: KubeObject): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  const { apiVersion, kind, ...rest } = obj;
  return { apiVersion: apiVersion || apiVersionOf(def), kind: kind || def.kind, ...rest } as KubeObject;
}

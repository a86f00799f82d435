import { ValidationError } from '../errors.ts';

/** Which works an indicator looks at. Validated once, at the boundary. */
export interface Filters {
  from: number | null;
  to: number | null;
  rollUp: boolean;
  /** A field id from the taxonomy (data/fields/); only works tagged with it count. */
  field: string | null;
}

export class FilterError extends ValidationError {}

const YEAR = /^\d{4}$/;

/** Reads "--from 2011 --to 2022" style bounds, refusing anything that is not a plausible year range. */
export function parseFilters(input: { from?: string; to?: string; rollup?: boolean; field?: string }): Filters {
  const year = (v: string | undefined, name: string) => {
    if (v === undefined) return null;
    if (!YEAR.test(v) || Number(v) < 1900 || Number(v) > 2100) throw new FilterError(`--${name} must be a year between 1900 and 2100, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const from = year(input.from, 'from');
  const to = year(input.to, 'to');
  if (from !== null && to !== null && from > to) throw new FilterError(`--from ${from} is after --to ${to}`);
  if (input.field !== undefined && !/^[a-z0-9-]+$/.test(input.field)) throw new FilterError(`--field takes a field id such as ai-image-processing, got ${JSON.stringify(input.field)}`);
  return { from, to, rollUp: Boolean(input.rollup), field: input.field ?? null };
}

export const NO_FILTERS: Filters = { from: null, to: null, rollUp: false, field: null };

/** SQL conditions bounding a year column by the filters (validated integers); none when unbounded. */
export function yearBounds(f: Filters, column: string): string[] {
  return [f.from !== null ? `${column} >= ${f.from}` : '', f.to !== null ? `${column} <= ${f.to}` : ''].filter(Boolean);
}

/**
 * SQL condition selecting the rows of a work table (`alias.year`, `alias.work_id`) that the
 * filters admit. Years are validated integers and field ids match [a-z0-9-]+, so they can stand
 * in the text.
 */
export function workCondition(f: Filters, alias: string): string {
  return [`${alias}.year IS NOT NULL`, ...yearBounds(f, `${alias}.year`), f.field !== null ? `${alias}.work_id IN (SELECT work_id FROM work_fields WHERE field_id = '${f.field}')` : ''].filter(Boolean).join(' AND ');
}

/** Which works an indicator looks at. Validated once, at the boundary. */
export interface Filters {
  from: number | null;
  to: number | null;
  rollUp: boolean;
}

export class FilterError extends Error {}

const YEAR = /^\d{4}$/;

/** Reads "--from 2011 --to 2022" style bounds, refusing anything that is not a plausible year range. */
export function parseFilters(input: { from?: string; to?: string; rollup?: boolean }): Filters {
  const year = (v: string | undefined, name: string) => {
    if (v === undefined) return null;
    if (!YEAR.test(v) || Number(v) < 1900 || Number(v) > 2100) throw new FilterError(`--${name} must be a year between 1900 and 2100, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const from = year(input.from, 'from');
  const to = year(input.to, 'to');
  if (from !== null && to !== null && from > to) throw new FilterError(`--from ${from} is after --to ${to}`);
  return { from, to, rollUp: Boolean(input.rollup) };
}

export const NO_FILTERS: Filters = { from: null, to: null, rollUp: false };

/** SQL condition on a `year` column for the filters; the bounds are validated integers. */
export function yearCondition(f: Filters, column = 'year'): string {
  return [`${column} IS NOT NULL`, f.from !== null ? `${column} >= ${f.from}` : '', f.to !== null ? `${column} <= ${f.to}` : ''].filter(Boolean).join(' AND ');
}

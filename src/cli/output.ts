import { safeCsvField } from '../ingest/csv.ts';

export type Format = 'table' | 'json' | 'csv';

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '') : String(v));

/** Rows as an aligned text table (numbers right-aligned), JSON or CSV. */
export function render(objects: object[], format: Format, columns: string[] = Object.keys(objects[0] ?? {})): string {
  const rows = objects as Record<string, unknown>[];
  if (format === 'json') return JSON.stringify(rows);
  if (format === 'csv') return [columns.map(safeCsvField).join(','), ...rows.map((r) => columns.map((c) => safeCsvField(r[c] ?? '')).join(','))].join('\n');
  if (rows.length === 0) return '(no rows)';
  const text = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => t[i]!.length)));
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}

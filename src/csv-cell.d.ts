/** `value` as one CSV field: shown as it is, never as a formula, quoted only where it must be (src/csv-cell.js). */
export function csvCell(value: unknown): string;

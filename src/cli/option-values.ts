import { UsageError } from './common.ts';

/**
 * What is wrong with one option's value ("is not a date (YYYY-MM-DD)"), or null when it is fine.
 * Round 48: a malformed value was exit 1 in some commands (the core's refusal) and 2 in others; it is
 * a mistake in the command line, so every command checks its values here, before any work.
 */
export type ValueCheck = (value: string) => string | null;

const calendarDay = (y: string, m: string, d: string): boolean => {
  // setUTCFullYear, not Date.UTC: that reads years 0 to 99 as 1900 to 1999.
  const day = new Date(0);
  day.setUTCFullYear(Number(y), Number(m) - 1, Number(d));
  return Number(m) >= 1 && Number(m) <= 12 && day.getUTCMonth() === Number(m) - 1 && day.getUTCDate() === Number(d);
};

/** A day of the calendar, YYYY-MM-DD. */
export const DAY: ValueCheck = (v) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return m && calendarDay(m[1]!, m[2]!, m[3]!) ? null : 'is not a date (YYYY-MM-DD, a day of the calendar)';
};

/** A year, a month or a day: YYYY, YYYY-MM or YYYY-MM-DD. */
export const PARTIAL_DATE: ValueCheck = (v) => {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(v);
  const ok = m && (m[2] === undefined || (m[3] === undefined ? Number(m[2]) >= 1 && Number(m[2]) <= 12 : calendarDay(m[1]!, m[2], m[3])));
  return ok ? null : 'is not a date (YYYY, YYYY-MM or YYYY-MM-DD)';
};

/** A whole number from `min` (to `max`), written in digits. */
export const whole =
  (min: number, max = Number.MAX_SAFE_INTEGER, what = 'a whole number'): ValueCheck =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? null : `is not ${what} (${min}${max === Number.MAX_SAFE_INTEGER ? ' or more' : ` to ${max}`})`;

/** One of a few words. */
export const oneOf =
  (choices: readonly string[]): ValueCheck =>
  (v) =>
    choices.includes(v) ? null : `is not one of ${choices.join(', ')}`;

/**
 * Every malformed option value of a command line, each naming the option and the value given
 * (`--since: "yesterday" is not a date (YYYY-MM-DD, a day of the calendar)`).
 */
export function valueMistakes(values: Readonly<Record<string, unknown>>, checks: Readonly<Record<string, ValueCheck>>): string[] {
  const problems: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    const given = values[name];
    for (const value of Array.isArray(given) ? given : given === undefined ? [] : [given]) {
      const wrong = typeof value === 'string' ? check(value) : null;
      if (wrong) problems.push(`--${name}: ${JSON.stringify(value)} ${wrong}`);
    }
  }
  return problems;
}

/** The same, as one usage error (for values checked after the command line, once its subcommand is known). */
export function checkValues(values: Readonly<Record<string, unknown>>, checks: Readonly<Record<string, ValueCheck>>): void {
  const problems = valueMistakes(values, checks);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
}

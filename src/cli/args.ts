import { parseArgs as parseStrictly, type ParseArgsConfig } from 'node:util';
import { COUNTING_BY_REGION, REGION_OPTIONS, UsageError } from './common.ts';

/**
 * node:util's parseArgs, except that a bad command line is reported whole: every unknown option
 * (with the nearest one the command knows), every option missing its value, every argument the
 * command takes none of — instead of the first of them alone.
 */
export const parseArgs = (<T extends ParseArgsConfig>(config: T) => {
  const options = config.options ?? {};
  const { tokens = [] } = parseStrictly({ ...config, strict: false, tokens: true });
  const problems: string[] = [];
  let afterUnknown = false;
  for (const token of tokens) {
    const follows = afterUnknown;
    afterUnknown = false;
    if (token.kind === 'option') {
      const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
      if (!spec && Object.hasOwn(REGION_OPTIONS, token.name)) {
        problems.push(`${token.rawName} is for the commands that count by region (${COUNTING_BY_REGION.join(', ')}): not used here`);
        afterUnknown = token.value === undefined && REGION_OPTIONS[token.name as keyof typeof REGION_OPTIONS].type === 'string';
      } else if (!spec) {
        const near = nearest(token.name, Object.keys(options));
        problems.push(`unknown option ${token.rawName}${near ? ` — did you mean --${near}?` : ''}`);
        // Its value, if it had one, reads as an argument: one mistake, said once.
        afterUnknown = token.value === undefined;
      } else if (spec.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-'))) {
        problems.push(`${token.rawName} needs a value${token.value === undefined ? '' : ` (got ${token.value}; write ${token.rawName}=${token.value} if that is the value)`}`);
      } else if (spec.type === 'boolean' && token.value !== undefined) {
        problems.push(`${token.rawName} takes no value`);
      }
    } else if (token.kind === 'positional' && !config.allowPositionals && !follows) {
      problems.push(`unexpected argument ${JSON.stringify(token.value)}`);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return parseStrictly(config);
}) as typeof parseStrictly;

/** The candidate closest to what was typed, if close enough to be what was meant (or the one it begins). */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  const begun = typed.length >= 3 ? candidates.filter((name) => name.toLowerCase().startsWith(typed.toLowerCase())) : [];
  if (begun.length === 1) return begun[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  // Two slips, or a third of a longer word: further than that it is a different word, not a typo.
  return best && best.distance <= Math.max(2, Math.floor(typed.length / 3)) && best.distance < typed.length ? best.name : undefined;
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit (the commonest typo). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The arguments past those a command uses, each named as a mistake: an argument is never silently
 * dropped (`lists load FILE` without --watchlist loaded the published lists alone and exited 0).
 */
export function unusedArguments(command: string, args: readonly string[], hint = ''): void {
  if (args.length > 0) throw new UsageError(args.map((a) => `${command} takes no argument ${JSON.stringify(a)}: not used${hint ? ` (${hint})` : ''}`).join('\n'));
}

import { parseArgs as parseStrictly, type ParseArgsConfig } from 'node:util';
import { REGION_OPTIONS, TAKING_REGION_OPTION, UsageError } from './common.ts';
import { valueMistakes, type ValueCheck } from './option-values.ts';

/**
 * How many arguments a command takes after its name: the most (Infinity: any number), or, for a command
 * with subcommands, the most each subcommand takes after its own name ([most, hint] to say what to
 * write instead). Round 49: each command checked its own count, and `users list extra`, `fields extra`…
 * exited 0; now every command that takes arguments must declare this, and the parser refuses more.
 */
export type Takes = number | readonly [most: number, hint: string] | { readonly [subcommand: string]: number | readonly [most: number, hint: string] };

/** What a command says of its command line besides node:util's options: its name, the arguments it takes, its values' checks. */
export type Declared = { command: string; checks?: Readonly<Record<string, ValueCheck>> } & ({ allowPositionals: true; takes: Takes } | { allowPositionals?: false; takes?: undefined });

type Loose = ReturnType<typeof parseStrictly<{ strict: false; tokens: true }>>;

/**
 * Every mistake of a command line at once — each unknown option (with the nearest one the command
 * knows), option missing its value, malformed value, argument more than the command takes — with its
 * values as far as they could be read (for a command that adds mistakes of its own before saying them).
 */
export function mistakesIn(config: ParseArgsConfig & Declared): { mistakes: string[]; values: Loose['values']; positionals: string[] } {
  const { command, takes: _takes, checks, ...nodeConfig } = config;
  const options = nodeConfig.options ?? {};
  const { tokens = [], values } = parseStrictly({ ...nodeConfig, strict: false, tokens: true });
  const problems: string[] = [];
  const positionals: string[] = [];
  let afterUnknown = false;
  for (const token of tokens) {
    const follows = afterUnknown;
    afterUnknown = false;
    if (token.kind === 'option') {
      const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
      if (!spec && Object.hasOwn(REGION_OPTIONS, token.name)) {
        const option = token.name as keyof typeof REGION_OPTIONS;
        problems.push(`${token.rawName} is for the commands that count by region (${TAKING_REGION_OPTION[option].join(', ')}): not used here`);
        afterUnknown = token.value === undefined && REGION_OPTIONS[option].type === 'string';
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
    } else if (token.kind === 'positional' && !follows) {
      if (config.allowPositionals) positionals.push(token.value);
      else problems.push(`${command} takes no argument ${JSON.stringify(token.value)}: not used`);
    }
  }
  if (config.allowPositionals) problems.push(...extraArguments(command, config.takes, positionals));
  problems.push(...valueMistakes(values, checks ?? {}));
  return { mistakes: problems, values, positionals };
}

/** The arguments past those the command (or its subcommand) takes, each named. */
function extraArguments(command: string, takes: Takes, positionals: readonly string[]): string[] {
  const perSubcommand = typeof takes === 'object' && !Array.isArray(takes);
  const [sub, ...rest] = positionals;
  const declared = perSubcommand ? (sub !== undefined && Object.hasOwn(takes, sub) ? (takes as Record<string, Takes>)[sub] : Infinity) : takes;
  const [most, hint] = typeof declared === 'number' ? [declared, ''] : (declared as readonly [number, string]);
  const name = perSubcommand ? `${command} ${sub}` : command;
  return (perSubcommand ? rest : positionals).slice(most).map((a) => `${name} takes no argument ${JSON.stringify(a)}: not used${hint ? ` (${hint})` : ''}`);
}

/**
 * node:util's parseArgs, except that a bad command line is reported whole (mistakesIn) instead of the
 * first of its mistakes alone.
 */
export function parseArgs<T extends ParseArgsConfig & Declared>(config: T): ReturnType<typeof parseStrictly<T>> {
  const { mistakes } = mistakesIn(config);
  if (mistakes.length > 0) throw new UsageError(mistakes.join('\n'));
  const { command: _command, takes: _takes, checks: _checks, ...nodeConfig } = config;
  return parseStrictly(nodeConfig as T);
}

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

import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { ValidationError } from '../errors.ts';

export class PasswordPolicyError extends ValidationError {}

export const MIN_LENGTH = 12;
export const MAX_LENGTH = 200;
/** zxcvbn's score 3: about 10^8 guesses or more, "safely unguessable" for an online attack. */
const MIN_SCORE = 3;

// The breached-password list is zxcvbn-ts's common list (@zxcvbn-ts/language-common, MIT): the
// 49,233 most frequent passwords of public breach corpora, larger than the top-10,000 lists OWASP
// ASVS 2.1.7 asks for. Loaded on first use.
let estimator: ZxcvbnFactory | null = null;
const zxcvbn = () => (estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }));

export const COMMON_PASSWORDS = (dictionary as Record<string, string[]>)['passwords-common']!.length;

const REASON: Record<string, string> = {
  repeat: 'repeats the same characters',
  sequence: 'is a run of letters or digits (like abcd or 1234)',
  spatial: 'is a walk along the keyboard (like qwerty)',
  date: 'is mostly a date',
  regex: 'is mostly a year or a date',
};

/**
 * Length (12 to 200 characters, counted as characters, not bytes), then what an attacker tries
 * first: the breached-password list, repetition, sequences, keyboard walks, and the user's own
 * e-mail address and name. Spaces and any script are welcome; no composition rules (NIST SP
 * 800-63B, OWASP ASVS 2.1).
 */
export function checkPassword(password: string, context: string[] = []): void {
  const length = [...password].length;
  if (length < MIN_LENGTH) throw new PasswordPolicyError(`a password needs at least ${MIN_LENGTH} characters`);
  if (length > MAX_LENGTH) throw new PasswordPolicyError(`a password may have at most ${MAX_LENGTH} characters`);
  if (password.trim() === '') throw new PasswordPolicyError('a password cannot be only spaces');
  const words = [...context.map((c) => c.toLowerCase()), ...context.flatMap((c) => c.toLowerCase().split(/[^\p{L}\p{N}]+/u))].filter((w) => w.length >= 3);
  const result = zxcvbn().check(password, ['derisk', ...words]);
  if (result.score >= MIN_SCORE) return;
  const matched = result.sequence.filter((m) => m.pattern !== 'bruteforce').sort((a, b) => b.token.length - a.token.length)[0];
  const why = !matched
    ? 'is too easy to guess'
    : matched.pattern === 'dictionary'
      ? words.includes(String(matched.matchedWord)) || matched.matchedWord === 'derisk'
        ? 'is built on your name, e-mail address or the name of this service'
        : (matched.dictionaryName as string) === 'passwords-common'
          ? 'is on the list of commonly used (breached) passwords, or close to one'
          : 'is built on a common word'
      : (REASON[matched.pattern] ?? 'is too easy to guess');
  throw new PasswordPolicyError(`this password ${why}: choose a longer one, e.g. a few unrelated words`);
}

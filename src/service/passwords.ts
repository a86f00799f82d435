import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { ValidationError } from '../errors.ts';

export class PasswordPolicyError extends ValidationError {}

export const MIN_LENGTH = 12;
export const MAX_LENGTH = 200;
/** The name of this service: the first word an attacker of its accounts tries. */
export const SERVICE_NAME = 'derisk';
/**
 * 10^8 guesses (zxcvbn's score 3, "safely unguessable" for an online attack), counted for the
 * pieces the password is made of and their order only. zxcvbn adds 10^4 guesses for every piece
 * beyond the first, which lifts any three trivial pieces over this line on their own: a name and
 * a year ("newbieorga2026"), a season, a year and "!!" ("Summer2024!!"), two runs ("Abcdefgh1234").
 */
const MIN_GUESSES_LOG10 = 8;

// The breached-password list is zxcvbn-ts's common list (@zxcvbn-ts/language-common, MIT): the
// 49,233 most frequent passwords of public breach corpora, larger than the top-10,000 lists OWASP
// ASVS 2.1.7 asks for. Loaded on first use.
let estimator: ZxcvbnFactory | null = null;
const zxcvbn = () => (estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs }));

export const COMMON_PASSWORDS = (dictionary as Record<string, string[]>)['passwords-common']!.length;

const PIECE: Record<string, string> = {
  repeat: 'repeated characters',
  sequence: 'a run of letters or digits (like abcd or 1234)',
  spatial: 'a walk along the keyboard (like qwerty)',
  date: 'a date',
  regex: 'a year',
  wordSequence: 'a run of words',
};

/**
 * What an attacker knows of an account and tries first: the user's display name, e-mail address
 * and organisation, each whole, word by word and with its words run together ("newbieorga"), and
 * the name of this service.
 */
function userWords(context: string[]): string[] {
  const words = new Set([SERVICE_NAME]);
  for (const c of context) {
    const lower = c.toLowerCase();
    const parts = lower.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const local = lower.includes('@') ? lower.slice(0, lower.indexOf('@')).split(/[^\p{L}\p{N}]+/u) : [];
    for (const w of [lower, ...parts, parts.join(''), local.join('')]) if (w.length >= 3) words.add(w);
  }
  return [...words];
}

const log10Factorial = (n: number) => Array.from({ length: n }, (_, i) => Math.log10(i + 1)).reduce((a, b) => a + b, 0);

/**
 * Length (12 to 200 characters, counted as characters, not bytes), then what an attacker tries
 * first: the breached-password list, repetition, sequences, keyboard walks, years and dates,
 * common words, and `context` — the user's display name, e-mail address and organisation's name —
 * and the service's name, alone or combined. Spaces and any script are welcome; no composition
 * rules (NIST SP 800-63B, OWASP ASVS 2.1). A refusal names the guessable pieces it found.
 */
export function checkPassword(password: string, context: string[] = []): void {
  const length = [...password].length;
  if (length < MIN_LENGTH) throw new PasswordPolicyError(`a password needs at least ${MIN_LENGTH} characters`);
  if (length > MAX_LENGTH) throw new PasswordPolicyError(`a password may have at most ${MAX_LENGTH} characters`);
  if (password.trim() === '') throw new PasswordPolicyError('a password cannot be only spaces');
  const words = userWords(context);
  const { sequence } = zxcvbn().check(password, words);
  const guessesLog10 = log10Factorial(sequence.length) + sequence.reduce((sum, m) => sum + m.guessesLog10, 0);
  if (guessesLog10 >= MIN_GUESSES_LOG10) return;
  const pieces = [
    ...new Set(
      sequence.flatMap((m) => {
        if (m.pattern === 'bruteforce' || m.pattern === 'separator') return [];
        if (m.pattern !== 'dictionary') return [PIECE[m.pattern] ?? 'a guessable pattern'];
        const word = String(m.matchedWord);
        if (word === SERVICE_NAME) return ['the name of this service'];
        if ((m.dictionaryName as string) === 'userInputs' || words.includes(word)) return ['your name, e-mail address or organisation'];
        return [(m.dictionaryName as string) === 'passwords-common' ? 'a commonly used (breached) password' : 'a common word'];
      }),
    ),
  ];
  const why = pieces.length === 0 ? 'is too easy to guess' : `is built on ${pieces.join(', ')}`;
  throw new PasswordPolicyError(`this password ${why}: choose a longer one, e.g. a few unrelated words`);
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ZxcvbnFactory, MatchExtended } from '@zxcvbn-ts/core';
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
// ASVS 2.1.7 asks for. Loaded on first use (its modules and dictionaries cost a server's start a
// tenth of its time), with require: checking a password stays synchronous.
let estimator: ZxcvbnFactory | null = null;
const zxcvbn = () => (estimator ??= newEstimator());
function newEstimator(): ZxcvbnFactory {
  const require = createRequire(import.meta.url);
  const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const { adjacencyGraphs, dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  return new ZxcvbnFactory({ dictionary: { ...dictionary, calendar: calendarWords() }, graphs: adjacencyGraphs });
}

/** Diacritics removed ("universitat"), and German's ä/ö/ü/ß as ae/oe/ue/ss ("universitaet"). */
function folded(word: string): string[] {
  const plain = (w: string) => w.normalize('NFD').replace(/\p{M}/gu, '');
  return [...new Set([word, plain(word), plain(word.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss'))])];
}

/** Seasons and months in the EU's most spoken languages (data/service/calendar-words.json), folded. */
function calendarWords(): string[] {
  const file = fileURLToPath(new URL('../../data/service/calendar-words.json', import.meta.url));
  const { words } = JSON.parse(readFileSync(file, 'utf8')) as { words: Record<string, string[]> };
  return [...new Set(Object.values(words).flat().flatMap(folded))];
}

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
 * (its local part, its domain and the domain's parts) and organisation, each whole, word by word,
 * with its words run together or joined by . - _ in either order ("newbieorga", "margarete.stein",
 * "alpha-universitat"), with diacritics folded, and the name of this service.
 */
function userWords(context: string[]): string[] {
  const words = new Set([SERVICE_NAME]);
  for (const c of context) {
    const lower = c.toLowerCase();
    const at = lower.lastIndexOf('@');
    const pieces = at < 0 ? [lower] : [lower, lower.slice(0, at), lower.slice(at + 1)];
    for (const piece of pieces) {
      const parts = piece.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
      const joins = ['', '.', '-', '_', ' '].flatMap((j) => [parts.join(j), [...parts].reverse().join(j)]);
      for (const w of [piece, ...parts, ...joins].flatMap(folded)) if (w.length >= 3) words.add(w);
    }
  }
  return [...words];
}

/**
 * The pieces of a password, each with its guesses. zxcvbn charges 10^4 guesses for every piece
 * beyond the first, so it leaves a short run like "-D3r1sk!" or "stein@" as random characters
 * rather than split it; such a run is split here (its first or its last character off, the rest
 * anew) when its pieces are cheaper to guess. A run worth over 10^12 random guesses zxcvbn splits
 * itself. `seen` keeps each substring's pieces, so a run is split in at most quadratic time.
 */
function piecesOf(text: string, words: string[], seen = new Map<string, MatchExtended[]>()): MatchExtended[] {
  const known = seen.get(text);
  if (known) return known;
  const cost = (pieces: MatchExtended[]) => pieces.reduce((sum, p) => sum + p.guessesLog10, 0);
  const pieces = zxcvbn()
    .check(text, words)
    .sequence.flatMap((m) => {
      const chars = [...m.token];
      if (m.pattern !== 'bruteforce' || chars.length < 2 || m.guessesLog10 > 12) return [m];
      const splits = [
        [...piecesOf(chars[0]!, words, seen), ...piecesOf(chars.slice(1).join(''), words, seen)],
        [...piecesOf(chars.slice(0, -1).join(''), words, seen), ...piecesOf(chars.at(-1)!, words, seen)],
      ];
      return [[m], ...splits].reduce((best, split) => (cost(split) < cost(best) ? split : best));
    });
  seen.set(text, pieces);
  return pieces;
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
  const sequence = piecesOf(password, words);
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
        if ((m.dictionaryName as string) === 'calendar') return ['a season or month'];
        return [(m.dictionaryName as string) === 'passwords-common' ? 'a commonly used (breached) password' : 'a common word'];
      }),
    ),
  ];
  const why = pieces.length === 0 ? 'is too easy to guess' : `is built on ${pieces.join(', ')}`;
  throw new PasswordPolicyError(`this password ${why}: choose a longer one, e.g. a few unrelated words`);
}

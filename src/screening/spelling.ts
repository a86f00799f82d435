import { editDistance } from './names.ts';
import type { Choice, ScreenResult, Similar } from './screener.ts';

/**
 * Slips of the pen in a one-word name ("Huawe", "Hikvison", "SenseTme"): the listed one-word
 * names a word not recognised may be a misspelling of. Such a word is neither listed nor clear:
 * the screener offers the listed name as a possible match and takes nothing as a listing.
 */

/** Letters a written word may differ by and still be offered as a slip: none below 5 letters, 1 up to 9, 2 from 10. */
export const slipBound = (word: string): number => (word.length >= 10 ? 2 : word.length >= 5 ? 1 : 0);

/**
 * Whether a listed one-word name may be the word a slip stands for: a word of 5 letters or more,
 * no number, no place, and used by fewer than `common` registry names ("Technology" is in many
 * names; a slip of it says nothing about a listed entity).
 */
export function slipTarget(token: string, registryUses: number, common: number, isPlace: boolean): boolean {
  return token.length >= 5 && /^\p{L}+$/u.test(token) && registryUses < common && !isPlace;
}

/** A one-word name as written, lower-cased without accents ("GosNIIAS" → "gosniias"); null for several words. */
export function writtenWord(value: string): string | null {
  const word = value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().trim();
  return /^\p{L}+$/u.test(word) ? word : null;
}

/**
 * The listed words `written` is a slip of, nearest first: within the bound for its length, and
 * only when `written` is no word in its own right (the caller says: a word the registry or the
 * lists use, or a place, is a name of its own, "Hanover" is not a slip of anything).
 */
export function nearestListed(written: string, listed: Map<string, string>): { word: string; name: string; edits: number }[] {
  const bound = slipBound(written);
  if (bound === 0) return [];
  const out: { word: string; name: string; edits: number }[] = [];
  for (const [word, name] of listed) {
    if (word === written || Math.abs(word.length - written.length) > bound) continue;
    const edits = editDistance(written, word, bound);
    if (edits <= bound) out.push({ word, name, edits });
  }
  const best = Math.min(...out.map((o) => o.edits));
  // A name is indexed as read and as written: offered once.
  const names = new Set<string>();
  return out
    .filter((o) => o.edits === best)
    .sort((a, b) => a.word.localeCompare(b.word))
    .filter((o) => !names.has(o.name) && names.add(o.name));
}

/** How a slip differs from the listed word, in words ("one letter differs", "two letters swapped"). */
export function slipWords(written: string, word: string, edits: number): string {
  if (edits === 1 && written.length === word.length && [...written].filter((c, i) => c !== word[i]).length === 2) return 'two neighbouring letters swapped';
  if (edits === 1) return written.length < word.length ? 'one letter missing' : written.length > word.length ? 'one letter too many' : 'one letter differs';
  return `${edits} letters differ`;
}

/** A listed name a slip may stand for, with what screening that name answers. */
export interface SlipOffer {
  written: string;
  name: string;
  word: string;
  edits: number;
  answer: ScreenResult;
  countryCode: string;
}

const whoIsListed = (r: ScreenResult): string => {
  // A listed name also borne elsewhere ("Stratos"): its own answer says which ones.
  if (r.state === 'ambiguous') return `a listed name also borne by others: ${r.choices.map((c) => c.label).join('; ')}`;
  const [first, ...more] = r.organisations;
  const lists = [...new Set(r.hits.map((h) => h.listName))].join('; ');
  return `${first!.name}${more.length ? ` and ${more.length} more listed organisation${more.length === 1 ? '' : 's'}` : ''} (${lists}, ${r.level!.replace('-', ' ')})`;
};

/**
 * The answer to a word no list or registry recognises that is a slip of listed names: ambiguous,
 * each listed name offered (screened alone by it), and the word as written, which is to be identified.
 */
export function slipAnswer(query: string, offers: SlipOffer[]): Pick<ScreenResult, 'choices' | 'headline' | 'similar'> {
  const written = query.trim();
  const choices: Choice[] = [
    ...offers.map((o) => ({ label: `${o.name} (${slipWords(o.written, o.word, o.edits)}): ${o.answer.state === 'listed' ? 'listed — ' : ''}${whoIsListed(o.answer)}`, query: o.name, countryCode: o.countryCode, listed: true })),
    { label: `"${written}" as written: a name no list and no registry record recognises (identify it before relying on this)`, query: written, countryCode: '', listed: false },
  ];
  const similar: Similar[] = offers.flatMap((o) => {
    const score = Number((1 - o.edits / Math.max(o.written.length, o.word.length)).toFixed(3));
    const why = `"${written}" is spelled like the listed name "${o.name}" (${slipWords(o.written, o.word, o.edits)}), a possible slip of the pen: offered, not taken as a listing`;
    const listed = o.answer.organisations.slice(0, 3).map((org) => ({ list: org.listings[0]!.list, listName: [...new Set(org.listings.map((h) => h.listName))].join('; '), entry: org.name, entryId: org.listings[0]!.entryId, level: org.level }));
    const namesakes = o.answer.similar.filter((x) => x.countries).map(({ list, listName, entry, entryId, level }) => ({ list, listName, entry, entryId, level }));
    return [...listed, ...namesakes].map((x) => ({ ...x, score, why }));
  });
  const offered = offers.map((o) => `"${o.name}" (${slipWords(o.written, o.word, o.edits)}; ${whoIsListed(o.answer)})`).join(', or ');
  return {
    choices,
    similar,
    headline: `Ambiguous, possible misspelling: no list and no registry record recognises "${written}", but it is spelled like the listed name ${offered}. Did you mean ${offers.map((o) => o.name).join(' or ')}? Say which: a misspelling is not taken as a listing, and an unrecognised name is no clearance.`,
  };
}

/**
 * Readings of a party field as people write a name apart from its letters (round 50, outside red team): every whitespace
 * a space, a possessive naming its owner, letters spaced apart joined.
 */

/** Whitespace other than the space (tab, vertical tab, form feed, line ends, U+2028/2029, the ideographic and other wide spaces); not U+FEFF, an invisible character. */
const OTHER_SPACES = /[\t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu;

/** The field with every whitespace read as a space: "ETH\tZurich, Huawei" is "ETH Zurich, Huawei". */
export const spacesRead = (field: string): string => field.replace(OTHER_SPACES, ' ');

/** Any apostrophe form a possessive is written with: ' ’ ʼ ‘ ´ ` ′. */
const APOSTROPHE = "['\u2019\u02bc\u2018\u00b4`\u2032]";

/** A possessive after a word: "Huawei's", "NUDT’s", "Huaweiʼs", "Siemens'" (the apostrophe after a closing s). */
const POSSESSIVE = new RegExp(`(?<=[\\p{L}\\p{N}])(?:${APOSTROPHE}s|(?<=s)${APOSTROPHE})(?![\\p{L}\\p{N}])`, 'gu');

/** A word's possessive taken off: "Huawei's" is "Huawei" (the mention safety net's words). */
export const ownerOf = (word: string): string => word.replace(POSSESSIVE, '');

/**
 * Three letters or more each written apart by the same separator, a hyphen, a full stop or a space: "H-u-a-w-e-i",
 * "H u a w e i", "H.U.A.W.E.I", "H. U. A. W. E. I.".
 */
const SPACED = /(?<![\p{L}\p{N}])\p{L}([-\u2010\u2011]|\. ?| )\p{L}(?:\1\p{L})+\.?(?![\p{L}\p{N}])/gu;

/**
 * A field read with its possessives naming their owners and its spaced letters joined, where the owner or the letters
 * joined are a `listed` name ("King's College London" stays as written), and what was so read; undefined when nothing is.
 */
export function writtenApartRead(field: string, listed: (name: string) => boolean): { text: string; notes: string[] } | undefined {
  const notes: string[] = [];
  let text = field.replace(SPACED, (m: string) => {
    const joined = m.replace(/[^\p{L}]/gu, '');
    if (!listed(joined)) return m;
    notes.push(`the letters "${m.trim()}" as "${joined}"`);
    return joined;
  });
  text = text.replace(new RegExp(`[\\p{L}\\p{N}]+${POSSESSIVE.source}`, 'gu'), (m: string) => {
    if (!listed(ownerOf(m))) return m;
    notes.push(`"${m}" as its owner's name, "${ownerOf(m)}"`);
    return ownerOf(m);
  });
  return notes.length > 0 ? { text, notes } : undefined;
}

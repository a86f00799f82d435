import { fileURLToPath } from 'node:url';
import { countryNameGazetteer } from '../resolve/gazetteer.ts';
import { foldText, typedKey } from '../resolve/normalize.ts';
import { readTextFile } from '../text-file.ts';
import { ListError } from './risk-list.ts';

/**
 * Words written where a party's name goes that name nobody ("TBD", "N/A"). One list for the
 * assessment (a party not named yet) and for screening (an unknown organisation, never the
 * institution the registry happens to resolve the word to: "TBD" is Thai Binh Duong University).
 */
export const PLACEHOLDERS_FILE = 'data/assessment/placeholder-names.json';

/** How a written name is compared with the placeholders: case, spacing, invisible characters, full-width forms and a trailing full stop aside. */
export const placeholderKey = (name: string): string => typedKey(name).replace(/\.$/, '');

/** What a party's name is read against: placeholder words, and the shapes of a description that names nobody. */
export interface Placeholders {
  /** Why the written name names nobody, or undefined for a name. */
  reasonFor(name: string): string | undefined;
  /**
   * The parties a written name speaks of when it names more than one, or one not identified
   * beside a name ("East China Normal University, subcontracting to a Huawei subsidiary": the
   * university and "huawei subsidiary"), to be screened each; undefined when it names one party.
   */
  partiesIn(name: string): { reason: string; parts: string[] } | undefined;
  /**
   * The places a field may be split into two parties, in order: at a link ("and", "jointly with", "和"), where
   * both sides must then be recognised, or at a comma or closing bracket (`weak`), where one side must be a group.
   */
  splitsIn(name: string): PartySplit[];
  /** Why a side of a split names a party only by group wording ("partners", "industry partner tbc", "合作单位"), or undefined. */
  groupReason(name: string): string | undefined;
  /** A name with a placeholder word after it ("Huawei TBC", "NUDT (to be confirmed)"): the name, and the word; undefined otherwise. */
  tentative(name: string): { name: string; word: string } | undefined;
  /** A field opening with a link and no party before it ("Partner: Huawei", "funded by NUDT"): the link, and the party after it. */
  leadingLink(name: string): { link: string; rest: string } | undefined;
  /** A name with a word naming a tie to it after it ("Huawei subsidiary", "NUDT-funded"): the name, and the word. */
  tie(name: string): { name: string; word: string } | undefined;
  /** A unit named as two parties' ("Joint Lab of ETH Zurich and NUDT"): the unit's words, and the words naming the parties. */
  unitOf(name: string): { unit: string; parties: string } | undefined;
  /**
   * The tie a listed name written among other words has to the field's party, read from the words just before it and just
   * after it ("subcontractor", "funded in part by", "controls"), or undefined where they tie it to nothing.
   */
  tieAround(before: string[], after: string[]): string | undefined;
  /** Whether a word is a link between parties ("and", "und", "with"), as either rule reads links. */
  isLink(word: string): boolean;
  /** The most pieces screened in reading one field into parties (several.maxPieces), or undefined for no bound. */
  maxPieces: number | undefined;
  /** Separators read as a comma (several.commaLike). */
  commaLike: string[];
}

/** A field cut in two at a link: the parties each side names are screened on their own. */
export interface PartySplit {
  left: string;
  right: string;
  link: string;
  weak: boolean;
  /** Whether the link is written apart from the words beside it (" and ", " & ", a Chinese link): "S&C Trade" is one name. */
  spaced: boolean;
}

interface DescriptionRules {
  indefinite: string[];
  kinds: string[];
  placeLinks: string[];
  toBe: string;
  otherParties: OtherPartyRules;
}

interface OtherPartyRules {
  links: string[];
  quantifiers: string[];
  closing: string[];
  groups: string[];
  cjkLinks: string[];
  cjkIndefinite: string[];
  cjkKinds: string[];
  cjkClosing: string[];
  relations: string[];
  several: SeveralRules;
}

interface SeveralRules {
  links: string[];
  cjkLinks: string[];
  groupWords: string[];
  roleWords: string[];
  cjkGroupWords: string[];
  /** Words closing a bracket that make what precedes them another party ("(Huawei-funded)"). Round 48 (party49); optional. */
  trailingLinks: string[];
  /** Kind words that, after a number or ordinal, name one unit ("31 Research Institute"), not a group. Round 48 (party49); optional. */
  numberedUnitKinds: string[];
  /** Words after a unit's name before the parties it is of ("Joint Lab of X and Y"). Round 49 (party51); optional. */
  unitOf: string[];
  /** Separators read as a comma (" : ", " · ", "->"): a unit after one stays its institution's. Round 49; optional. */
  commaLike: string[];
  /** Words that belong to a tie written with them ("wholly owned by", "majority-owned by", "funded in part by"). Round 50 (ties54); optional. */
  tieModifiers: string[];
  /** Words just before a listed name that tie it to the field's party ("subcontractor Huawei", "funding from Huawei"). Round 50 (ties54); optional. */
  tiesBefore: string[];
  /** Words just after a listed name that tie it to the field's party ("a firm Huawei controls"). Round 50 (ties54); optional. */
  tiesAfter: string[];
  /** The most cuts of a field read, from its start; optional (all when left out). Round 49 (party51). */
  maxCuts?: number;
  /** The most pieces screened in reading one field into parties; optional (no bound when left out). Round 49 (bound52). */
  maxPieces?: number;
}

const words = (key: string): string[] => key.split(/[\s,;:]+/).filter((w) => w !== '');

/** Whether words name a country, a region or a town (CLDR, data/geo): "Hong Kong", "Shanghai", "Bavaria". */
const isPlace = (text: string): boolean => {
  const folded = foldText(text).trim();
  return folded !== '' && (countryNameGazetteer().countryCodeOf(folded) !== null || countryNameGazetteer().placeMeanings(folded).length > 0);
};

/** Whether words name a country or a region of one, not merely a town: "University at Albany" is a name, "University in Hong Kong" none. */
const isCountryOrRegion = (text: string): boolean => {
  const folded = foldText(text).trim();
  return folded !== '' && (countryNameGazetteer().countryCodeOf(folded) !== null || countryNameGazetteer().regionOrCountryOf(folded) !== null);
};

/**
 * Reads a name as a description when it only says what kind of organisation and where ("a
 * university in Hong Kong", "university (Hong Kong)") or carries a placeholder beside it
 * ("University in Macau (TBD)"): the registry resolves such strings to some real institution (the
 * University of Hong Kong), which would then be screened in the partner's place.
 */
function describer(names: Map<string, string>, rules: DescriptionRules): (key: string, written: string) => string | undefined {
  const kinds = new Set(rules.kinds);
  const indefinite = new Set(rules.indefinite);
  const links = rules.placeLinks.map((l) => ` ${l} `);
  return (key, written) => {
    for (const aside of key.matchAll(/[([]([^)\]]*)[)\]]|\s[-–—]\s+(.+)$/g)) {
      const inner = (aside[1] ?? aside[2] ?? '').trim().replace(/\.$/, '');
      if (names.has(inner) || inner.startsWith(`${rules.toBe} `)) return `a placeholder beside the words ("${inner}"): not a name yet`;
    }
    const bare = key.replace(/[([][^)\]]*[)\]]/g, ' ').trim();
    const link = links.map((l) => bare.indexOf(l)).filter((i) => i > 0);
    // "An Giang University" is a name: after an indefinite word, a kind must follow, or a kind and a place.
    const [first, second] = words(key);
    if (first !== undefined && second !== undefined && indefinite.has(first) && (kinds.has(second) || (link.length > 0 && words(bare).some((w) => kinds.has(w))))) {
      return `a description ("${first} …"), not a name`;
    }
    // An article, a place and a kind ("a Hong Kong university", "some Shanghai institute", "the Wuhan
    // university"): "An Giang University" and "A Coruña University" are names, as their middle is no
    // place. After "the", only a kind written in lower case beside capitals describes ("The Hong Kong
    // Polytechnic University" is a name).
    const all = words(bare);
    const last = all.at(-1);
    const writtenLast = words(written.replace(/[([][^)\]]*[)\]]/g, ' ')).at(-1) ?? '';
    const article = first !== undefined && (indefinite.has(first) || (first === 'the' && /^\p{Ll}/u.test(writtenLast) && /\p{Lu}/u.test(written)));
    if (article && last !== undefined && kinds.has(last) && all.length >= 3 && all.length <= 6) {
      const middle = all.slice(1, -1);
      if (middle.every((w) => kinds.has(w)) || isPlace(middle.filter((w) => !kinds.has(w)).join(' '))) return `a description ("${first} …"), not a name`;
    }
    // Kind words and a country or region ("University in Hong Kong", "University, Macau"), capitalised or not:
    // no institution is named so; a town is another matter ("University at Albany", "University in Bitola").
    const cut = [...links.map((l) => bare.indexOf(l)), bare.indexOf(',')].filter((i) => i > 0);
    if (cut.length > 0) {
      const at = Math.min(...cut);
      const head = words(bare.slice(0, at));
      const place = bare.slice(at).replace(/^,/, '').trim();
      const tail = links.map((l) => l.trim()).reduce((p, l) => (p.startsWith(`${l} `) ? p.slice(l.length + 1) : p), place);
      if (head.length > 0 && head.every((w) => kinds.has(w)) && isCountryOrRegion(tail)) return 'a kind of organisation and a place, not a name';
    }
    // Only kind words before a bracket ("University (Hong Kong)"), or before a place when written in lower
    // case ("university in Tokyo"): capitalised, that is a name ("University at Albany", "University in Bitola").
    const before = bare !== key.trim() ? bare : link.length > 0 && /^\p{Ll}/u.test(written.trim()) ? bare.slice(0, Math.min(...link)) : null;
    if (before !== null && words(before).length > 0 && words(before).every((w) => kinds.has(w))) return 'a kind of organisation and a place, not a name';
    return undefined;
  };
}

const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// An empty list matches nothing: an office's own file may leave a list out.
const anyOf = (ws: string[]): string =>
  ws.length === 0
    ? '(?!)'
    : [...ws]
        .sort((a, b) => b.length - a.length)
        .map(escape)
        .join('|');

/** A link in a field between what it names: where it stands, as written, and which rule it serves. */
interface FieldLink {
  at: number;
  end: number;
  link: string;
  /** A link a description of another party may follow (otherParties.links: "…, subcontracting to a Huawei subsidiary"). */
  describes: boolean;
  /** A link between two named parties (otherParties.several.links: "Stanford University and Huawei", "Tsinghua/Huawei"). */
  joins: boolean;
}

/**
 * The one reader of a field's links, for both rules that read its parties. A word link stands between words (a comma,
 * bracket or dash may come first, and is the link's); a symbol may be written without spaces ("Tsinghua/Huawei").
 */
function linkReader(describing: string[], joining: string[], modifiers: string[] = []): (text: string) => FieldLink[] {
  // A symbol may be listed with its spaces (" : ", a colon between names, not "Partner:"): it is known by its symbol.
  const [describes, joins] = [new Set(describing.map((l) => l.toLowerCase().trim())), new Set(joining.map((l) => l.toLowerCase().trim()))];
  const all = [...new Set([...describing, ...joining].map((l) => l.toLowerCase()))];
  const wordy = all.filter((l) => /^\p{L}/u.test(l));
  const symbols = all.filter((l) => !/^\p{L}/u.test(l));
  // A link closing in "by" is a tie, and a word saying how much is the tie's, before it or before its "by" ("wholly owned
  // by", "majority-owned by", "funded in part by"): round 50, "wholly" was read as a party not identified.
  const mod = modifiers.length > 0 ? `(?:${anyOf(modifiers.map((m) => m.toLowerCase()))})` : null;
  const byTie = (l: string) => mod !== null && / by$/u.test(l);
  const wordyOf = (ls: string[]) => [...ls].sort((a, b) => b.length - a.length).map((l) => (byTie(l) ? `(?:${mod}[\\s-]+)?${escape(l.slice(0, -3))}(?:\\s+${mod})?\\s+by` : escape(l)));
  const wordyAlternatives = wordy.length === 0 ? '(?!)' : wordyOf(wordy).join('|');
  const modifierOut = mod === null ? null : new RegExp(`(?:^|(?<=\\s))${mod}(?:[\\s-]+|$)`, 'gu');
  const link = new RegExp(`[\\s,;:([–—-]*(?:^|(?<=[\\s,;:([–—-]))(?:${wordyAlternatives})\\s+|\\s*(?:${anyOf(symbols)})\\s*`, 'giu');
  return (text) =>
    [...text.matchAll(link)].map((m) => {
      const written = m[0].replace(/^[\s,;:([–—-]+(?=\p{L})/u, '').trim();
      const plain = written.toLowerCase().replace(/\s+/g, ' ');
      // The link as listed, its modifiers aside ("wholly owned by" is "owned by").
      const key = modifierOut && / by$/u.test(plain) ? plain.replace(modifierOut, '').replace(/\s+/g, ' ').trim() : plain;
      // A description follows a symbol written between spaces only: "A&A Material Corporation" is a name.
      const spaced = /^\p{L}/u.test(key) || /^\s.*\s$/u.test(m[0]);
      return { at: m.index, end: m.index + m[0].length, link: written, describes: describes.has(key) && spaced, joins: joins.has(key) };
    });
}

/**
 * Reads a name beside which another party is spoken of: a link and a description ("and a Chinese
 * company", "plus one defence university"), a closing phrase ("et al."), a bracket or dash opening
 * with a group word ("– consortium of …") or holding a placeholder word ("(second partner TBD)").
 * Such a field is not one identified party, whatever the name beside it is; what follows a link
 * in a real name ("Science and Technology of China", "Johnson & Johnson") is no description.
 */
function otherParties(names: Map<string, string>, rules: DescriptionRules, links: (text: string) => FieldLink[]): (key: string) => { reason: string; parts: string[] } | undefined {
  const o = rules.otherParties;
  const kinds = new Set(rules.kinds);
  const opening = new Set([...rules.indefinite, ...o.quantifiers]);
  const relations = new Set(o.relations);
  // ", etc" needs its comma: "Grupo ETC" is a name.
  const [commaFirst, plain] = [o.closing.filter((c) => c.startsWith(',')), o.closing.filter((c) => !c.startsWith(','))];
  const endings = [...(plain.length > 0 ? [`[\\s,;(]+(?:${anyOf(plain)})`] : []), ...(commaFirst.length > 0 ? [`\\s*(?:${anyOf(commaFirst)})`] : [])];
  const closing = endings.length > 0 ? new RegExp(`(?:${endings.join('|')})[)\\]]?$`, 'u') : null;
  // Beside other words, a placeholder word of three letters or more ("na" is Portuguese), or "to be" and what is not a kind ("Deemed to be University").
  const held = [...names.keys()].filter((n) => n.length >= 3);
  const toBe = new RegExp(`(?:^|\\s)${escape(rules.toBe)}\\s+(\\S+)`, 'u');
  const group = new RegExp(`^(?:${anyOf(o.groups)})\\s`, 'u');
  const cjkLink = new RegExp(`(?:${anyOf(o.cjkLinks)})((?:${anyOf(o.cjkIndefinite)})\\p{Script=Han}*?(?:${anyOf(o.cjkKinds)}))$`, 'u');
  const cjkClosing = new RegExp(`\\p{Script=Han}(?:${anyOf(o.cjkClosing)})$`, 'u');
  const reason = (what: string) => `names more than one party, or a party not identified ("${what}"): name each partner on its own line`;
  const head = (key: string, at: number) =>
    key
      .slice(0, at)
      .replace(/[\s,;:([–—-]+$/u, '')
      .trim();
  return (key) => {
    const parts: string[] = [];
    let first = key.length;
    // What is left of "a Huawei subsidiary" once the kind words are aside is the party it names ("huawei").
    const named = (said: string[]) => said.filter((w) => !opening.has(w) && !kinds.has(w)).join(' ');
    for (const m of links(key)) {
      const rest = words(key.slice(m.end).replace(/[)\]]/g, ' '));
      if (m.describes && m.at > 0 && rest.length >= 2 && opening.has(rest[0]!) && kinds.has(rest.at(-1)!)) {
        parts.push(named(rest));
        first = Math.min(first, m.at);
      }
    }
    if (parts.length > 0) return { reason: reason(key.slice(first).replace(/^[\s,;:([–—-]+/u, '')), parts: [head(key, first), ...parts] };
    // The whole field a party named only by its tie to another ("a Huawei subsidiary"): the other is the name it holds.
    const all = words(key);
    if (all.length >= 3 && opening.has(all[0]!) && relations.has(all.at(-1)!) && named(all) !== '') return { reason: reason(key), parts: [named(all)] };
    const closed = closing?.exec(key) ?? cjkClosing.exec(key);
    if (closed) return { reason: reason(closed[0].replace(/^[\s,;(]+/u, '').replace(/^\p{Script=Han}/u, '')), parts: [head(key, closed.index + (closed[0].match(/^\p{Script=Han}/u) ? 1 : 0))] };
    const cjk = cjkLink.exec(key);
    if (cjk) return { reason: reason(cjk[0]), parts: [key.slice(0, cjk.index)] };
    for (const aside of key.matchAll(/[([]([^)\]]*)[)\]]|\s[-–—]\s+(.+)$/g)) {
      const inner = (aside[1] ?? aside[2] ?? '').trim().replace(/\.$/, '');
      const said = words(inner);
      const after = toBe.exec(inner)?.[1];
      if (group.test(inner) || (said.length > 1 && (said.some((w) => held.includes(w)) || (after !== undefined && !kinds.has(after) && !opening.has(after))))) return { reason: reason(inner), parts: [head(key, aside.index)] };
    }
    return undefined;
  };
}

/** Where a field may be cut into two parties, and whether a side only describes a group of them. */
function severalParties(names: Map<string, string>, rules: DescriptionRules, links: (text: string) => FieldLink[]): Pick<Placeholders, 'splitsIn' | 'groupReason' | 'tentative' | 'leadingLink' | 'tie' | 'unitOf' | 'tieAround'> {
  const o = rules.otherParties;
  const s = o.several;
  // Between Chinese words, or between a name in Latin letters and another ("ETH Zurich跟Huawei").
  // Spaces around it are the link's ("Tsinghua University 和 Huawei"); after it, punctuation alone is a party not
  // identified ("华东师范大学和???", as "… and ???"). Round 49 (sep52): neither was cut.
  const cjkLink = new RegExp(`(?<=[\\p{L}\\p{N})）])\\s*(?:${anyOf(s.cjkLinks)})\\s*(?=[\\p{L}\\p{N}(（]|[^\\p{L}\\p{N}]+$)`, 'gu');
  const grouping = new Set([...rules.kinds.filter((k) => k !== 'the'), ...s.groupWords]);
  const allowed = new Set([...grouping, 'the', ...rules.indefinite, ...o.quantifiers, ...s.roleWords, ...names.keys()]);
  const cjkGroup = new RegExp(`^(?:${anyOf([...o.cjkIndefinite, ...s.cjkGroupWords])})*(?:${anyOf(o.cjkKinds)})+$`, 'u');
  const trimEnds = (t: string) => t.replace(/^[\s,;:–—-]+|[\s,;:–—-]+$/gu, '');
  const balanced = (t: string) => (t.match(/[([]/g) ?? []).length === (t.match(/[)\]]/g) ?? []).length;
  const numberedUnit = new Set(s.numberedUnitKinds);
  const trailing = new RegExp(`\\s*(?:${anyOf(s.trailingLinks)})$`, 'iu');
  // A placeholder word after a name, bare or in brackets: of three letters or more, or one starting "to be" ("NA" is a word in many names).
  const held = [...names.keys()].filter((n) => n.length >= 3 && /\p{L}/u.test(n));
  const pending = new RegExp(`^(.*?\\S)(?:[\\s,;:–—-]+[([]?|\\s*[([])\\s*(${anyOf(held)})\\.?\\s*[)\\]]?$`, 'iu');
  // A tie after a name: a relation word written apart ("Huawei subsidiary") or a trailing link ("Huawei-funded").
  const tied = new RegExp(`^(.*?[\\p{L}\\p{N})])(?:\\s+(${anyOf(o.relations)})|(${anyOf(s.trailingLinks)}))\\.?$`, 'iu');
  // A hyphened trailing link before what it ties ("Huawei-funded ETH Zurich chair"): round 49 (sep52), read at the end only before.
  const tiedBefore = new RegExp(`^(.*?[\\p{L}\\p{N})])()(${anyOf(s.trailingLinks.filter((l) => l.startsWith('-')))})\\s+[\\p{L}\\p{N}]`, 'iu');
  const unitOf = new RegExp(`^(.+?)\\s+(?:${anyOf(s.unitOf)})\\s+(.+)$`, 'iu');
  // A placeholder of several words, or "to be" and a word, stands for a role word ("partner to be confirmed" is
  // "partner tbc"): round 49 (sep52), after a comma such a side was no group and the field the named party alone.
  const phrases = [...names.keys()].filter((n) => n.includes(' '));
  const phrase = new RegExp(`(?:^|\\s)(?:${anyOf(phrases)}|${escape(rules.toBe)}\\s+\\S+)(?=\\s|$)`, 'gu');
  const placeholderPhrasesOut = (key: string) => key.replace(phrase, ' tbc').trim();
  // A tie's name without an article before it ("a Huawei-controlled firm"), a possessive or a modifier after it ("Huawei's
  // subsidiary", "Huawei majority-owned"): round 50, the tie named "a Huawei".
  const article = new RegExp(`^(?:${anyOf([...rules.indefinite, 'the'])})\\s+`, 'iu');
  const modifierAfter = new RegExp(`[\\s-]+(?:${anyOf(s.tieModifiers)})$`, 'iu');
  const tieName = (name: string) =>
    name
      .trim()
      .replace(article, '')
      .replace(/['’]s$/u, '')
      .replace(modifierAfter, '')
      .trim();
  // The words of a tie, as tieAround compares them: lower case, punctuation aside.
  const tieWords = (ws: string[]) => ` ${ws.map((w) => w.toLowerCase()).join(' ')} `;
  const tiePhrases = (ls: string[]) => [...new Set(ls.map((l) => tieWords(l.split(/[^\p{L}\p{M}\p{N}'’]+/u).filter((w) => w !== '')).trim()).filter((l) => l !== ''))];
  const before = tiePhrases([...o.links, ...s.links, ...o.relations, ...s.tiesBefore]);
  const after = new Set(tiePhrases([...o.relations, ...s.tiesAfter, ...s.trailingLinks.filter((l) => l.startsWith(' '))]));
  const modifierWords = tiePhrases(s.tieModifiers).sort((a, b) => b.length - a.length);
  return {
    tieAround: (wordsBefore, wordsAfter) => {
      let said = tieWords(wordsBefore);
      for (const m of modifierWords) said = said.split(` ${m} `).join(' ');
      const tied = before.filter((p) => said.endsWith(` ${p} `)).sort((a, b) => b.length - a.length)[0];
      const next = wordsAfter[0]?.toLowerCase();
      return tied ?? (next !== undefined && after.has(next) ? next : undefined);
    },
    leadingLink: (name) => {
      const text = name.trim();
      const m = links(text).find((l) => l.joins && l.at === 0);
      const rest = m && trimEnds(text.slice(m.end));
      return m && rest ? { link: m.link, rest } : undefined;
    },
    tie: (name) => {
      // A tie is hyphened as people type it too: a Unicode hyphen or dash ("Huawei‐funded", "Huawei–funded") is the hyphen.
      const text = name.trim().replace(/[\u2010-\u2013]/gu, '-');
      // The empty group of tiedBefore stands for the relation word: the link is the third ("NUDT-led consortium": "-led").
      const m = tied.exec(text) ?? tiedBefore.exec(text);
      return m && balanced(m[1]!) && tieName(m[1]!) !== '' ? { name: tieName(m[1]!), word: (m[2] || m[3]!).trim() } : undefined;
    },
    unitOf: (name) => {
      const m = s.unitOf.length > 0 ? unitOf.exec(name.trim()) : null;
      return m ? { unit: m[1]!, parties: m[2]! } : undefined;
    },
    tentative: (name) => {
      const m = pending.exec(name.trim());
      return m && balanced(m[1]!) && /\p{L}/u.test(m[1]!) ? { name: m[1]!.trim(), word: m[2]! } : undefined;
    },
    splitsIn: (name) => {
      const text = name.trim();
      const out: (PartySplit & { at: number })[] = [];
      // A Chinese link (cjkLinks: 和, 、) is written apart from the words beside it as spaces are.
      const cut = (at: number, end: number, weak: boolean, chinese = false) => {
        const [left, right] = [trimEnds(text.slice(0, at)), trimEnds(text.slice(end))];
        // A link inside a bracket is the bracket's business ("(with Beihang University)"): only cuts between whole brackets.
        const spaced = /^[\s,;:([–—-]|[\s,;:]$/u.test(text.slice(at, end)) || chinese;
        if (left !== '' && right !== '' && balanced(left) && balanced(right)) out.push({ left, right, link: text.slice(at, end).trim(), weak, spaced, at });
      };
      for (const m of links(text)) if (m.joins) cut(m.at, m.end, false);
      for (const m of text.matchAll(cjkLink)) cut(m.index, m.index + m[0].length, false, true);
      for (const m of text.matchAll(/,/g)) cut(m.index, m.index + 1, true);
      const bracket = /^(.*\S)\s*[([]([^()[\]]+)[)\]]$/u.exec(text);
      if (bracket && balanced(bracket[1]!)) {
        // A bracket opening with a link ("(partner: Huawei)", "(via NUDT)") or closing with one ("(Huawei-funded)") names another party.
        const inner = bracket[2]!.trim();
        const opening = links(inner).find((m) => m.joins && m.at === 0);
        const closing = trailing.exec(inner);
        const named = opening ? trimEnds(inner.slice(opening.end)) : closing ? trimEnds(inner.slice(0, closing.index)) : '';
        if (named !== '') out.push({ left: bracket[1]!.trim(), right: named, link: opening?.link ?? closing![0].trim(), weak: false, spaced: true, at: bracket[1]!.length });
        else out.push({ left: bracket[1]!.trim(), right: inner, link: '(…)', weak: true, spaced: true, at: bracket[1]!.length });
      }
      // The first cuts only: each right side is read as a field again with its own first cuts, so a party at the end of a
      // long field is still reached, in work linear in its cuts rather than quadratic ("Room 1 and Building 1, Room 2 …").
      return out
        .sort((a, b) => a.at - b.at)
        .slice(0, s.maxCuts ?? out.length)
        .map(({ at: _, ...split }) => split);
    },
    groupReason: (name) => {
      const key = placeholderPhrasesOut(placeholderKey(name).replace(/\s+/g, ' ').trim());
      if (/\p{Script=Han}/u.test(key)) return cjkGroup.test(key) ? `"${name.trim()}" names no organisation, only a kind of partner` : undefined;
      const said = key.split(/[\s,;:()[\].]+/).filter((w) => w !== '');
      // A number or ordinal before a unit's kind word names one unit ("31 Research Institute", "3rd Academy"); "partner 2 pending" is a group.
      const numbered = said.some((w, i) => /^\d+(?:st|nd|rd|th)?$/.test(w) && numberedUnit.has(said[i + 1] ?? ''));
      const only = !numbered && said.length > 0 && said.every((w) => allowed.has(w) || /^\d+$/.test(w)) && said.some((w) => grouping.has(w));
      return only ? `"${name.trim()}" names no organisation, only a group or kind of partners` : undefined;
    },
  };
}

/** The placeholder file read; a bad file is refused with the error `fail` makes, naming the file. */
export function loadPlaceholders(file: string, fail: (message: string) => Error): Placeholders {
  const text = readTextFile(file, fail);
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!doc.provenance?.sources) throw fail(`${file}: the placeholder names need provenance`);
  const rules = doc.descriptions as DescriptionRules | undefined;
  // otherParties (round 47) and its lists, several (round 48) and its lists are optional, each empty when left out: an
  // office's own file written before them is read as it was written. A list given must be a list of words.
  const optional = (o: Record<string, unknown> | undefined, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o?.[k] ?? []]));
  const given = rules?.otherParties as unknown as Record<string, unknown> | undefined;
  const several = optional(given?.several as Record<string, unknown> | undefined, ['links', 'cjkLinks', 'groupWords', 'roleWords', 'cjkGroupWords', 'trailingLinks', 'numberedUnitKinds', 'unitOf', 'commaLike', 'tieModifiers', 'tiesBefore', 'tiesAfter']) as unknown as SeveralRules;
  const others = { ...optional(given, ['links', 'quantifiers', 'closing', 'groups', 'cjkLinks', 'cjkIndefinite', 'cjkKinds', 'cjkClosing', 'relations']), several } as unknown as OtherPartyRules;
  for (const bound of ['maxCuts', 'maxPieces'] as const) {
    const value = (given?.several as Record<string, unknown> | undefined)?.[bound];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1)) throw fail(`${file}: descriptions.otherParties.several.${bound} must be a whole number of 1 or more, found ${JSON.stringify(value)}`);
    if (value !== undefined) several[bound] = value as number;
  }
  const lists = [
    ...Object.values(others).filter((l) => l !== several),
    ...Object.entries(several)
      .filter(([k]) => k !== 'maxCuts' && k !== 'maxPieces')
      .map(([, v]) => v),
  ];
  if (!rules || ![rules.indefinite, rules.kinds, rules.placeLinks, ...lists].every((l) => Array.isArray(l) && l.every((w) => typeof w === 'string')) || typeof rules.toBe !== 'string') {
    throw fail(
      `${file}: descriptions needs the word lists indefinite, kinds and placeLinks, and toBe; otherParties (links, quantifiers, closing, groups, cjkLinks, cjkIndefinite, cjkKinds, cjkClosing, relations) and its several (links, cjkLinks, groupWords, roleWords, cjkGroupWords, trailingLinks, numberedUnitKinds, unitOf, commaLike, tieModifiers, tiesBefore, tiesAfter) are optional, each a list of words`,
    );
  }
  rules.otherParties = others;
  const names = new Map((doc.names as { name: string; reason: string }[]).map((n) => [placeholderKey(n.name), n.reason]));
  const describes = describer(names, rules);
  const links = linkReader(others.links, several.links, several.tieModifiers);
  const parties = otherParties(names, rules, links);
  const keyOf = (name: string) => placeholderKey(name).replace(/\s+/g, ' ').trim();
  const linkWords = new Set([...others.links, ...several.links].map((l) => l.toLowerCase()));
  return {
    ...severalParties(names, rules, links),
    isLink: (word) => linkWords.has(word.toLowerCase()),
    maxPieces: several.maxPieces,
    commaLike: several.commaLike,
    reasonFor: (name) => {
      const key = keyOf(name);
      return names.get(key) ?? describes(key, name) ?? parties(key)?.reason;
    },
    partiesIn: (name) => {
      const found = parties(keyOf(name));
      // Each part as written where it can be found: an acronym is one in capitals only ("a NUDT spin-off").
      const written = name.replace(/\s+/g, ' ');
      const at = (part: string) => written.toLowerCase().indexOf(part);
      return found && { ...found, parts: found.parts.map((p) => (at(p) >= 0 && p !== '' ? written.slice(at(p), at(p) + p.length) : p)) };
    },
  };
}

let bundled: Placeholders | null = null;

/** Why a written name is a placeholder (the repository's list), or undefined for a name. */
export function placeholderReason(name: string): string | undefined {
  bundled ??= loadPlaceholders(fileURLToPath(new URL(`../../${PLACEHOLDERS_FILE}`, import.meta.url)), (m) => new ListError(m));
  return bundled.reasonFor(name);
}

/** The parties a written name speaks of when it names more than one (the repository's rules), or undefined. */
export function partiesIn(name: string): { reason: string; parts: string[] } | undefined {
  bundled ??= loadPlaceholders(fileURLToPath(new URL(`../../${PLACEHOLDERS_FILE}`, import.meta.url)), (m) => new ListError(m));
  return bundled.partiesIn(name);
}

const bundle = (): Placeholders => (bundled ??= loadPlaceholders(fileURLToPath(new URL(`../../${PLACEHOLDERS_FILE}`, import.meta.url)), (m) => new ListError(m)));

/** Where a field may be cut into two parties (the repository's rules). */
export const splitsIn = (name: string): PartySplit[] => bundle().splitsIn(name);

/** Why a side of a field names only a group or kind of partners (the repository's rules), or undefined. */
export const groupReason = (name: string): string | undefined => bundle().groupReason(name);

/** The most pieces screened in reading one field into parties (the repository's rules), or undefined for no bound. */
export const maxPieces = (): number | undefined => bundle().maxPieces;

/** The separators read as a comma (the repository's several.commaLike). */
export const commaLike = (): string[] => bundle().commaLike;

/** A field with its comma-like separators written as commas (the repository's several.commaLike): "University of Oxford : Department of Physics". */
export const commasRead = (field: string): string => bundle().commaLike.reduce((text, sep) => text.replace(new RegExp(`\\s${sep.startsWith(' ') ? '+' : '*'}${sep.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s${sep.startsWith(' ') ? '+' : '*'}`, 'gu'), ', '), field);

/** Whether a word is a link between parties (the repository's rules). */
export const isLink = (word: string): boolean => bundle().isLink(word);

/** A field opening with a link ("Partner: Huawei"): the link and the party after it (the repository's rules), or undefined. */
export const leadingLink = (name: string): { link: string; rest: string } | undefined => bundle().leadingLink(name);

/** A name with a tie word after it ("Huawei subsidiary"): the name and the word (the repository's rules), or undefined. */
export const tie = (name: string): { name: string; word: string } | undefined => bundle().tie(name);

/** The tie the words around a listed name give it ("subcontractor", "funded by", "controls": the repository's rules), or undefined. */
export const tieAround = (before: string[], after: string[]): string | undefined => bundle().tieAround(before, after);

/** A unit named as two parties' ("Joint Lab of ETH Zurich and NUDT"): its words and the parties' (the repository's rules), or undefined. */
export const unitOf = (name: string): { unit: string; parties: string } | undefined => bundle().unitOf(name);

/** A name with a placeholder word after it ("Huawei TBC"): the name and the word (the repository's rules), or undefined. */
export const tentative = (name: string): { name: string; word: string } | undefined => bundle().tentative(name);

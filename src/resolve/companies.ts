import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nameTokens } from './normalize.ts';

export interface Lab {
  names: string[];
  /** Countries in which the lab is named in author addresses. */
  countries: string[];
  /** The lab's own registry record, when it has one. */
  ror?: string;
  /** The country of that record, when the lab works in several. */
  rorCountry?: string;
}

export interface Company {
  id: string;
  names: string[];
  headquarters: string;
  /** What the company's name alone says about the country: its headquarters', or nothing. */
  nameAlone: 'headquarters' | 'unknown';
  why?: string;
  /** Its one-word names are also common words ("Meta", "Amazon"): they count only as a whole part or before a company word. */
  common?: boolean;
  /** The company's registry record in each country where it has one. */
  registry: Record<string, string>;
  labs: Lab[];
}

export interface CompanyMention {
  company: Company;
  lab: Lab | null;
  /** Token span in the string (flat tokens across its parts). */
  start: number;
  end: number;
  words: string;
}

interface Pattern {
  tokens: string[];
  company: Company;
  lab: Lab | null;
  /** A one-word name that is also a common word ("Meta") counts only as a whole part or before a company word. */
  single: boolean;
  /** An all-capital lab name ("MSRA", "FAIR") counts only written so, as a whole part. */
  acronym: boolean;
}

/** Words that, after a one-word company name that is also a common word, make it the company: "Meta Platforms", "Amazon Inc". */
const COMPANY_WORDS = new Set(['inc', 'incorporated', 'ltd', 'limited', 'co', 'corp', 'corporation', 'company', 'group', 'llc', 'gmbh', 'plc', 'holding', 'platform']);

const DEFAULT_PATH = fileURLToPath(new URL('../../data/resolve/companies.json', import.meta.url));

/**
 * Companies and corporate labs common in AI affiliations (data/resolve/companies.json): finds
 * them in a string's words, so the resolver can say which company is meant and what the string
 * says — or does not say — about the country.
 */
export class Companies {
  readonly list: Company[];
  private readonly byFirst = new Map<string, Pattern[]>();
  /** Names written with a number ("2012 Labs"): matching drops numbers, so these are looked for in each part with its numbers kept. */
  private readonly numbered: Pattern[] = [];

  constructor(path = DEFAULT_PATH) {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { provenance?: unknown; companies: Company[] };
    if (!doc.provenance) throw new Error(`${path}: no provenance: company data must say where it comes from`);
    this.list = doc.companies;
    for (const company of this.list) {
      for (const name of company.names) this.add(name, company, null);
      for (const lab of company.labs) for (const name of lab.names) this.add(name, company, lab);
    }
    for (const patterns of this.byFirst.values()) patterns.sort((a, b) => b.tokens.length - a.tokens.length);
  }

  private add(name: string, company: Company, lab: Lab | null): void {
    const tokens = nameTokens(name);
    if (tokens.length === 0) throw new Error(`company ${company.id}: the name ${JSON.stringify(name)} cannot be matched as written (no words)`);
    if (/\d/.test(name)) {
      // Matching drops numbers: "2012 Labs" is read with its number, or it would be any "Lab".
      this.numbered.push({ tokens: nameTokens(name, true), company, lab, single: false, acronym: false });
      return;
    }
    const list = this.byFirst.get(tokens[0]!) ?? [];
    list.push({ tokens, company, lab, single: tokens.length === 1 && company.common === true, acronym: lab !== null && /^[A-Z]{2,6}$/.test(name) });
    this.byFirst.set(tokens[0]!, list);
  }

  /**
   * The companies and labs a string names, longest first and without overlaps. `flat` are the
   * string's tokens, `bounds` each part's span in them, `upper` the parts as written (for
   * all-capital lab acronyms such as "MSRA" and "FAIR", which count only as written).
   */
  find(flat: string[], bounds: [number, number][], upper: string[]): CompanyMention[] {
    const out: CompanyMention[] = [];
    const partOf = (i: number) => bounds.findIndex(([s, e]) => i >= s && i < e);
    for (let i = 0; i < flat.length; i++) {
      for (const p of this.byFirst.get(flat[i]!) ?? []) {
        const end = i + p.tokens.length;
        if (end > flat.length || p.tokens.some((t, k) => flat[i + k] !== t)) continue;
        const part = partOf(i);
        const [ps, pe] = bounds[part]!;
        const wholePart = i === ps && end === pe;
        if (p.acronym ? !(wholePart && upper[part]!.trim() === upper[part]!.trim().toUpperCase()) : p.single && !wholePart && !COMPANY_WORDS.has(flat[end] ?? '') && !this.isLabAfter(p.company, flat, end)) continue;
        out.push({ company: p.company, lab: p.lab, start: i, end, words: flat.slice(i, end).join(' ') });
        i = end - 1;
        break;
      }
    }
    if (this.numbered.length > 0) this.findNumbered(bounds, upper, out);
    // "Huawei Noah's Ark Lab": the company named before its own lab is one mention, the lab's.
    return out.filter((m, k) => !(m.lab === null && out[k + 1]?.company === m.company && out[k + 1]!.lab !== null && out[k + 1]!.start === m.end));
  }

  /** Adds the names written with a number each part holds as written, where no other mention is, keeping `out` in string order. */
  private findNumbered(bounds: [number, number][], upper: string[], out: CompanyMention[]): void {
    const isNumber = (t: string) => /^\d+$/.test(t);
    bounds.forEach(([ps], part) => {
      const written = nameTokens(upper[part]!, true);
      for (const p of this.numbered) {
        const at = written.findIndex((_, i) => p.tokens.every((t, k) => written[i + k] === t));
        if (at < 0) continue;
        // Where the name sits among the part's tokens without numbers, the positions every other candidate uses.
        const start = ps + written.slice(0, at).filter((t) => !isNumber(t)).length;
        const end = start + p.tokens.filter((t) => !isNumber(t)).length;
        if (out.some((m) => m.start < end && start < m.end)) continue;
        out.push({ company: p.company, lab: p.lab, start, end, words: p.tokens.join(' ') });
        out.sort((a, b) => a.start - b.start);
      }
    });
  }

  private isLabAfter(company: Company, flat: string[], at: number): boolean {
    return (this.byFirst.get(flat[at] ?? '') ?? []).some((p) => p.company === company && p.lab !== null && p.tokens.every((t, k) => flat[at + k] === t));
  }
}

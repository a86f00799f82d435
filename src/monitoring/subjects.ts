import { BUNDLED_TAXONOMY, loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { asTyped, typedKey } from '../resolve/normalize.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import type { RiskEntry, RiskList } from '../screening/risk-list.ts';
import { NoListsError, screeningContext, type ScreeningContext } from '../screening/store.ts';
import type { Store } from '../store/store.ts';
import { BUNDLED_COUNTRIES, countryCodeOf } from '../regions/countries.ts';
import { loadVocabulary, VOCABULARY_FILE, type Vocabulary } from './vocabulary.ts';
import type { Found, SubjectFinder, WatchKind } from './watchlists.ts';

/** typedKey in SQL, for the registry's names: they hold invisible joiners too (in Persian and Sinhala names). */
const FOLDED_REGISTRY_NAME = "trim(regexp_replace(regexp_replace(lower(n.name), '\\p{Cf}', '', 'g'), '[\\s\\p{Z}]+', ' ', 'g'))";

/** The kinds whose subjects are data files of derisk's own: found without the store or the application database. */
export const DATA_KINDS = ['field', 'country', 'topic'] as const;
export type DataKind = (typeof DATA_KINDS)[number];
export const isDataKind = (kind: string): kind is DataKind => (DATA_KINDS as readonly string[]).includes(kind);

/** Where the values a data kind allows are listed, for a message that names them. */
export const DATA_KIND_LISTS: Record<DataKind, string> = {
  field: `the fields of ${BUNDLED_TAXONOMY} (id or name)`,
  country: `an ISO 3166-1 alpha-2 code (${BUNDLED_COUNTRIES} lists them) or a country's name`,
  topic: `the topics of ${VOCABULARY_FILE} (id or label)`,
};

/** The field, country or topic `typed` names exactly (its id, code or name), from the data files. */
export function findInData(kind: DataKind, typed: string, taxonomy: Taxonomy = loadTaxonomy(), vocabulary: Vocabulary = loadVocabulary()): Found[] {
  const text = asTyped(typed);
  switch (kind) {
    case 'field':
      return [...taxonomy.fields.values()].filter((f) => f.id === text || typedKey(f.name) === typedKey(text)).map((f) => ({ kind, ref: f.id, label: f.name }));
    case 'country': {
      const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
      // The codes derisk knows are data (a code Intl names, such as ZZ "Unknown Region", is not one of them).
      const code = countryCodeOf(text);
      const name = code ? names.of(code) : undefined;
      return code && name ? [{ kind, ref: code, label: name }] : [];
    }
    case 'topic':
      return [...vocabulary.topics.values()].filter((t) => t.id === text || typedKey(t.label) === typedKey(text)).map((t) => ({ kind, ref: t.id, label: t.label }));
  }
}

/**
 * Finds watchable subjects where derisk keeps them: institutions in the loaded ROR registry,
 * entries of the loaded risk lists (those screening matches a name to, or `<list>/<entry id>`),
 * the field taxonomy, country codes and names, and the knowledge base's topics. Only exact
 * names count (of list entries, the hits screening reports, never the names it only offers): a watch item says what
 * it watches, it never guesses. `screening`: the screening
 * context as the caller keeps it (the server keeps one per process).
 */
export class StoreSubjects implements SubjectFinder {
  constructor(
    private readonly store: Store,
    private readonly screening: () => Promise<ScreeningContext> = () => screeningContext(store),
    private readonly taxonomy: Taxonomy = loadTaxonomy(),
    private readonly vocabulary: Vocabulary = loadVocabulary(),
  ) {}

  async find(kind: WatchKind, typed: string): Promise<Found[]> {
    const text = asTyped(typed);
    switch (kind) {
      case 'institution':
        return this.institutions(text);
      case 'list-entry':
        return this.listEntries(text);
      case 'field':
      case 'country':
      case 'topic':
        return findInData(kind, text, this.taxonomy, this.vocabulary);
      case 'case':
        return [];
    }
  }

  private async institutions(text: string): Promise<Found[]> {
    const id = rorIdWritten(text);
    const rows = id
      ? await this.store.all<{ ror_id: string; name: string; country_code: string | null }>('SELECT ror_id, name, country_code FROM institutions WHERE ror_id = $1', [id])
      : await this.store.all<{ ror_id: string; name: string; country_code: string | null }>(`SELECT DISTINCT i.ror_id, i.name, i.country_code FROM institution_names n JOIN institutions i USING (ror_id) WHERE ${FOLDED_REGISTRY_NAME} = $1 ORDER BY i.ror_id`, [typedKey(text)]);
    return rows.map((r) => ({ kind: 'institution', ref: r.ror_id, label: `${r.name}${r.country_code ? `, ${r.country_code}` : ''}` }));
  }

  /**
   * The entries screening matches `text` to (or the one `<list>/<entry id>` names): its hits, each a listing screening
   * reports for the name — by the lists' names and aliases, the names derisk adds (data/lists/aliases.json: "Megvii" for
   * the Entity List's Megvii Technology), a spelling slip, the registry institution an entry is linked to, and the other
   * listings of an organisation matched — never the possible matches it only offers (namesakes, nearest names).
   */
  private async listEntries(text: string): Promise<Found[]> {
    const context = await this.screened();
    if (!context) return [];
    const label = (list: RiskList, entry: RiskEntry): Found => ({ kind: 'list-entry', ref: `${list.id}/${entry.id}`, label: `${entry.name} (${list.provenance.title})` });
    for (const list of context.lists) for (const e of list.entries) if (`${list.id}/${e.id}` === text) return [label(list, e)];
    const lists = new Map(context.lists.map((l) => [l.id, l]));
    const out = new Map<string, Found>();
    for (const hit of context.screener.screen(text, { nearest: false, parties: false }).hits) {
      const list = lists.get(hit.list);
      const entry = list?.entries.find((e) => e.id === hit.entryId);
      if (list && entry) out.set(`${list.id}/${entry.id}`, label(list, entry));
    }
    return [...out.values()];
  }

  private async screened(): Promise<ScreeningContext | null> {
    try {
      return await this.screening();
    } catch (e) {
      if (e instanceof NoListsError) return null;
      throw e;
    }
  }
}

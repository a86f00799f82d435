import { fileURLToPath } from 'node:url';
import { readTextFile } from '../text-file.ts';

// What a risk list is, apart from how its files are read and checked (src/screening/lists.ts, with
// the catalogue's TypeBox schema): screening a name needs these and nothing of TypeBox, whose
// modules would cost `derisk screen` more than half a second to load.

export const LEVELS = ['very-high', 'high', 'medium', 'low'] as const;
export type Level = (typeof LEVELS)[number];

/** 'short': a short name people write ('Huawei'), derived by rule or curated (data/lists/aliases.json). */
export type NameKind = 'primary' | 'alias' | 'chinese' | 'subsidiary' | 'short';

export interface EntryName {
  value: string;
  kind: NameKind;
  /** Where a name the list itself does not give comes from. */
  source?: string;
}

export interface RiskEntry {
  /** Stable within a list: the source's id where it has one, else derived from the primary name. */
  id: string;
  name: string;
  names: EntryName[];
  country: string | null;
  category: string | null;
  level: Level;
  /** The source's own words about the entry. */
  sourceText: string | null;
  url: string | null;
  /** ROR ids the list itself names (user watchlists may). */
  rorIds: string[];
  /** The id of another entry of the same list that this one belongs to. */
  parentEntry: string | null;
  /**
   * The addresses the list gives, one each (the Entity List writes several as "…; and …"): where a
   * subsidiary of a listed group is placed ("Huawei Device (Hong Kong) Co., Limited": Kowloon, Hong Kong).
   */
  addresses?: string[];
  /**
   * Where the list places an entry screening reads as in its home country (data/lists/aliases.json registered_offshore:
   * "Megvii Technology Limited", registered in the Cayman Islands, is a Chinese company): the list's own country.
   */
  registeredIn?: string;
  /** FollowTheMoney topics ("sanction", "export.control") a list loaded from FtM gives the entry. */
  topics?: string[];
  /**
   * What the list itself says the entry is, where it says so (FtM's schema: Organization, Company,
   * PublicBody); absent where it does not (the US lists as nsfreg extracts them give no type).
   */
  type?: 'organisation' | 'person';
}

export interface Provenance {
  title: string;
  publisher: string;
  source_url: string;
  retrieved: string;
  licence: string;
  [more: string]: unknown;
}

export interface RiskList {
  id: string;
  provenance: Provenance;
  /** Content hash of the file read (and of how it is read): two loads of the same file are the same version. */
  version: string;
  file: string;
  levelRationale: string;
  entries: RiskEntry[];
}

export class ListError extends Error {}

export const LIST_CATALOGUE = fileURLToPath(new URL('../../data/lists/catalog.json', import.meta.url));

/** A JSON file of list data, its defects said as ListErrors naming the file. */
export function parseListJson(path: string): unknown {
  const text = readTextFile(path, (m) => new ListError(m));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ListError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The catalogue's short name of each list (ASPI, UFLPA…), for a list stored before the catalogue
 * named it. Only these two fields are read, without the catalogue's schema: the schema is checked
 * where lists are loaded from the catalogue (loadListCatalogue), and loading it here would cost
 * every `derisk screen` TypeBox.
 */
export function catalogueShortNames(path = LIST_CATALOGUE): Map<string, string> {
  const doc = parseListJson(path) as { lists?: unknown };
  const lists = Array.isArray(doc?.lists) ? (doc.lists as { id?: unknown; short_name?: unknown }[]) : [];
  return new Map(lists.filter((l) => typeof l?.id === 'string' && typeof l.short_name === 'string').map((l) => [l.id as string, l.short_name as string]));
}

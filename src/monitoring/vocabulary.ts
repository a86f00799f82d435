import { fileURLToPath } from 'node:url';
import { readTextFile } from '../text-file.ts';

export const VOCABULARY_FILE = fileURLToPath(new URL('../../data/policy/topics.json', import.meta.url));

export interface Topic {
  id: string;
  label: string;
  description: string;
  parent?: string;
}

export interface Term {
  id: string;
  label: string;
  description: string;
}

/** The knowledge base's topic taxonomy and the words its entries may use for type, status, jurisdiction and language. */
export interface Vocabulary {
  provenance: Record<string, unknown>;
  topics: Map<string, Topic>;
  types: Map<string, Term & { takes_effect?: boolean }>;
  statuses: Map<string, Term>;
  jurisdictions: Map<string, string>;
  languages: Map<string, string>;
}

export class VocabularyError extends Error {}

export function loadVocabulary(file = VOCABULARY_FILE): Vocabulary {
  const fail = (problem: string): never => {
    throw new VocabularyError(`${file}: ${problem}`);
  };
  let doc: Record<string, any>;
  try {
    doc = JSON.parse(readTextFile(file, (m) => new VocabularyError(m)));
  } catch (e) {
    if (e instanceof VocabularyError) throw e;
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!doc.provenance?.title) fail('needs provenance with a title');
  const terms = <T extends Term>(key: string): Map<string, T> => {
    const map = new Map<string, T>();
    if (!Array.isArray(doc[key])) fail(`${key}: expected a list`);
    for (const [i, t] of (doc[key] as T[]).entries()) {
      if (typeof t?.id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(t.id)) fail(`${key}[${i}]: id must be lower-case letters, digits and dashes`);
      if (typeof t.label !== 'string' || t.label === '') fail(`${key}.${t.id}: label is missing`);
      if (map.has(t.id)) fail(`${key}.${t.id}: defined twice`);
      map.set(t.id, t);
    }
    return map;
  };
  const topics = terms<Topic>('topics');
  for (const t of topics.values()) if (t.parent !== undefined && !topics.has(t.parent)) fail(`topics.${t.id}: parent ${JSON.stringify(t.parent)} is not a topic`);
  const names = (key: string) => {
    if (typeof doc[key] !== 'object' || doc[key] === null) fail(`${key}: expected a mapping of codes to names`);
    return new Map(Object.entries(doc[key] as Record<string, string>));
  };
  return { provenance: doc.provenance, topics, types: terms('types'), statuses: terms('statuses'), jurisdictions: names('jurisdictions'), languages: names('languages') };
}

/** A topic and every topic below it: watching "data-governance" includes "data-localisation". */
export function topicWithChildren(vocabulary: Vocabulary, id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of vocabulary.topics.values()) if (t.parent && out.has(t.parent) && !out.has(t.id)) (out.add(t.id), (grew = true));
  }
  return out;
}

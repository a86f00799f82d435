import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Institution } from '../src/ingest/ror.ts';

/** A small deterministic PRNG (mulberry32) so that every run generates the same works. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEPARTMENTS = [
  'Department of Computer Science',
  'School of Electronic Engineering',
  'Key Laboratory of Machine Perception',
  'Institute of Artificial Intelligence',
  'Department of Electrical Engineering',
  'Faculty of Mathematics',
  'Centre for Data Science',
  'State Key Laboratory of Networking and Switching Technology',
];
const TOPICS = [
  ['T10036', 'Advanced Neural Network Applications'],
  ['T11714', 'Multimodal Machine Learning Applications'],
  ['T10181', 'Natural Language Processing Techniques'],
  ['T10531', 'Advanced Vision and Imaging'],
  ['T10273', 'IoT and Edge/Fog Computing'],
  ['T10796', 'Cooperative Communication and Network Coding'],
];

/**
 * Writes `count` synthetic works in the current OpenAlex snapshot schema (authorships with
 * institutions, countries and raw_affiliation_strings; topics; ids). Affiliation strings are
 * built from real registry names, cities and countries, so resolution does real work; a share
 * of institutions carry no ROR id, as in OpenAlex itself.
 */
export async function generateOpenAlex(path: string, count: number, institutions: Institution[], seed = 42): Promise<number> {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const pool = institutions.filter((i) => i.status === 'active' && i.countryCode && i.city);
  const weighted = [...pool.filter((i) => i.countryCode === 'CN'), ...pool.filter((i) => ['DE', 'GB', 'FR', 'NL', 'IT', 'ES', 'SE', 'CH'].includes(i.countryCode!)), ...pool.filter((i) => i.countryCode === 'US'), ...pool];
  const out = createWriteStream(path);
  let bytes = 0;
  for (let n = 0; n < count; n++) {
    const year = 2011 + Math.floor(random() * 13);
    const authors = 1 + Math.floor(random() * 8);
    const authorships = [];
    for (let a = 0; a < authors; a++) {
      const inst = pick(weighted);
      const raw = `${pick(DEPARTMENTS)}, ${inst.name}, ${inst.city}, ${inst.countryName ?? inst.countryCode}`;
      const withRor = random() < 0.6;
      const openalexId = `https://openalex.org/I${100000 + ((inst.id.charCodeAt(1) * 7919 + n) % 900000)}`;
      authorships.push({
        author_position: a === 0 ? 'first' : a === authors - 1 ? 'last' : 'middle',
        author: { id: `https://openalex.org/A${5000000000 + n * 10 + a}`, display_name: `Author ${n}-${a}`, orcid: null },
        institutions: withRor ? [{ id: openalexId, display_name: inst.name, ror: `https://ror.org/${inst.id}`, country_code: inst.countryCode, type: inst.types[0] ?? 'education' }] : [],
        countries: withRor ? [inst.countryCode] : [],
        is_corresponding: a === 0,
        raw_author_name: `Author ${n}-${a}`,
        raw_affiliation_strings: [raw],
        affiliations: [{ raw_affiliation_string: raw, institution_ids: withRor ? [openalexId] : [] }],
      });
    }
    const topic = pick(TOPICS);
    const work = {
      id: `https://openalex.org/W${4000000000 + n}`,
      doi: random() < 0.85 ? `https://doi.org/10.${5000 + (n % 4000)}/synthetic.${n}` : null,
      title: `Synthetic work ${n} on ${topic[1]}`,
      display_name: `Synthetic work ${n} on ${topic[1]}`,
      publication_year: year,
      publication_date: `${year}-0${1 + Math.floor(random() * 9)}-15`,
      ids: { openalex: `https://openalex.org/W${4000000000 + n}` },
      type: 'article',
      authorships,
      topics: [{ id: `https://openalex.org/${topic[0]}`, display_name: topic[1], score: Math.round(random() * 1000) / 1000 }],
      cited_by_count: Math.floor(random() * 50),
    };
    const line = `${JSON.stringify(work)}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

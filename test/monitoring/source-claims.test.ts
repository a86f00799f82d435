import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AppDb } from '../../src/appdb/db.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import type { Store } from '../../src/store/store.ts';
import { writeTemp } from '../helpers/fixtures.ts';
import { HIT, KU_LEUVEN, LEUVEN_AFF } from '../helpers/leuven.ts';
import { leuvenWatch } from '../helpers/leuven-watch.ts';
import { rorRecord } from '../helpers/landscape.ts';

// A co-publication alert names, for each affiliation, the institutions and country the evidence store counts
// for it (round 49): where OpenAlex asserts one institution and derisk resolves the string at the exact tier to
// another, derisk's; where derisk's resolution is only strong, the source's. A watches KU Leuven; Harbin
// Institute of Technology is listed. Within one registry family the more specific counts (round 50): a unit of Harbin
// Institute of Technology OpenAlex asserts, over the university derisk resolves the string to.
const SCHOOL = '0aaaaaa11';
const OXFORD = '052gg0110';
const TSINGHUA = '03cve4549';
const STRONG_HIT = 'Harbin Technology Institute, China';
const NAMES: Record<string, [string, string]> = { [KU_LEUVEN]: ['KU Leuven', 'BE'], [OXFORD]: ['University of Oxford', 'GB'], [TSINGHUA]: ['Tsinghua University', 'CN'], [SCHOOL]: ['School of Astronautics', 'CN'] };
const author = (raw: string, asserted?: string) => ({
  author: { display_name: raw.slice(0, 12) },
  institutions: asserted ? [{ id: `https://openalex.org/I${asserted}`, display_name: NAMES[asserted]![0], ror: `https://ror.org/${asserted}`, country_code: NAMES[asserted]![1], type: 'education' }] : [],
  raw_affiliation_strings: [raw],
});
const work = (id: string, authorships: object[]) => JSON.stringify({ id: `https://openalex.org/${id}`, doi: `10.5555/claims.${id.toLowerCase()}`, display_name: id, publication_year: 2024, authorships });

let store: Store;
let db: AppDb;
let alertsOf: () => Promise<{ title: string; evidence: unknown }[]>;

before(async () => {
  ({ store, db, alertsOf } = await leuvenWatch('New co-publication', async (store, home) => {
    await ingestRegistry(store, writeTemp('school.jsonl', JSON.stringify(rorRecord(SCHOOL, 'School of Astronautics', 'CN', 'Harbin', HIT))));
    await ingestWorks(
      store,
      'openalex',
      writeTemp(
        'claims.jsonl',
        [
          // The string is Harbin Institute of Technology at the exact tier; OpenAlex asserts Oxford.
          work('W1', [author(LEUVEN_AFF.leuven, KU_LEUVEN), author(LEUVEN_AFF.hit, OXFORD)]),
          // The listed co-author as written; a third author whose string derisk resolves to Harbin Institute of
          // Technology only at the strong tier, and for which OpenAlex asserts Tsinghua.
          work('W2', [author(LEUVEN_AFF.leuven, KU_LEUVEN), author(LEUVEN_AFF.hit), author(STRONG_HIT, TSINGHUA)]),
          // The string is Harbin Institute of Technology at the exact tier; OpenAlex asserts its School of Astronautics.
          work('W3', [author(LEUVEN_AFF.leuven, KU_LEUVEN), author(LEUVEN_AFF.hit, SCHOOL)]),
        ].join('\n'),
      ),
      { quarantineDir: join(home, 'q') },
    );
  }));
});
after(async () => {
  await db.close();
  store.close();
});

/** Each affiliation of a work as the evidence store counts it: its institutions and its (first) country. */
async function counted(workId: string) {
  const rows = await store.all<{ rors: string[]; country: string | null }>(
    `SELECT list(ror_id ORDER BY ror_id) FILTER (WHERE ror_id IS NOT NULL) AS rors, first(country_code ORDER BY ror_id) AS country
     FROM work_affiliations WHERE work_id = $1 GROUP BY author_seq, aff_seq ORDER BY author_seq, aff_seq`,
    [workId],
  );
  return rows.map((r) => ({ institutions: r.rors ?? [], country: r.country }));
}

async function alerted(doi: string) {
  const alert = (await alertsOf()).find((a) => (a.evidence as { work: { doi: string } }).work.doi === doi);
  assert.ok(alert, `an alert on ${doi}`);
  return (alert.evidence as { affiliations: { institutions: string[]; country: string | null }[] }).affiliations.map((a) => ({ institutions: a.institutions, country: a.country }));
}

test('a string derisk resolves at the exact tier to a listed institution the source does not assert: the alert and the evidence store both name derisk’s', async () => {
  const expected = [
    { institutions: [KU_LEUVEN], country: 'BE' },
    { institutions: [HIT], country: 'CN' },
  ];
  assert.deepEqual(await counted('doi:10.5555/claims.w1'), expected);
  assert.deepEqual(await alerted('10.5555/claims.w1'), expected);
});

test('a string derisk resolves only at the strong tier: the alert and the evidence store both keep the institution the source asserts', async () => {
  const expected = [
    { institutions: [KU_LEUVEN], country: 'BE' },
    { institutions: [HIT], country: 'CN' },
    { institutions: [TSINGHUA], country: 'CN' },
  ];
  assert.deepEqual(await counted('doi:10.5555/claims.w2'), expected);
  assert.deepEqual(await alerted('10.5555/claims.w2'), expected);
});

test('a string derisk resolves at the exact tier to the university whose unit the source asserts: the alert and the evidence store both name the unit', async () => {
  const expected = [
    { institutions: [KU_LEUVEN], country: 'BE' },
    { institutions: [SCHOOL], country: 'CN' },
  ];
  assert.deepEqual(await counted('doi:10.5555/claims.w3'), expected);
  assert.deepEqual(await alerted('10.5555/claims.w3'), expected);
});

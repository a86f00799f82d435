import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AppDb } from '../../src/appdb/db.ts';
import { ingestPatents } from '../../src/ingest/patents.ts';
import type { Store } from '../../src/store/store.ts';
import { writeTemp } from '../helpers/fixtures.ts';
import { HIT, KU_LEUVEN } from '../helpers/leuven.ts';
import { leuvenWatch } from '../helpers/leuven-watch.ts';

// A co-patent alert names, for each applicant, the institution and country the evidence store places it by
// (patent_applicant_places, round 49): the name's primary institution at a counted tier, not every
// institution it names at the exact or strong tier. The store counts only exact matches here; A watches KU
// Leuven; Harbin Institute of Technology is listed. Applicants without a country, as in a Lens export.
const TSINGHUA = '03cve4549';
const APPLICANTS = [
  'KU LEUVEN',
  'HARBIN INSTITUTE OF TECHNOLOGY',
  // Two institutions at the exact tier (Tsinghua the primary), and no country of its own.
  'TSINGHUA UNIVERSITY; UNIVERSITY OF OXFORD',
  // Harbin Institute of Technology only at the strong tier: not counted.
  'Harbin Technology Institute, China',
];

let store: Store;
let db: AppDb;
let alertsOf: () => Promise<{ title: string; evidence: unknown }[]>;

before(async () => {
  ({ store, db, alertsOf } = await leuvenWatch(
    'New co-patent',
    async (store) => {
      const csv = ['appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr,invt_seq_nr,cpc_class_symbol', ...APPLICANTS.map((n, i) => `700001,2022,"${n}",,${i + 1},0,G06N 3/08`)];
      await ingestPatents(store, 'patstat', writeTemp('claims.csv', csv.join('\n') + '\n'));
    },
    'exact',
  ));
});
after(async () => {
  await db.close();
  store.close();
});

test('a co-patent alert names each applicant’s institution and country as the evidence store places it: the primary one at a counted tier', async () => {
  const placed = await store.all<{ name: string; ror_id: string | null; country_code: string | null }>(`SELECT name, ror_id, country_code FROM patent_applicant_places WHERE patent_id = '700001' ORDER BY seq`);
  const expected = [
    { applicant: 'KU LEUVEN', institutions: [KU_LEUVEN], country: 'BE' },
    { applicant: 'HARBIN INSTITUTE OF TECHNOLOGY', institutions: [HIT], country: 'CN' },
    { applicant: 'TSINGHUA UNIVERSITY; UNIVERSITY OF OXFORD', institutions: [TSINGHUA], country: 'CN' },
    { applicant: 'Harbin Technology Institute, China', institutions: [], country: 'CN' },
  ];
  assert.deepEqual(
    placed.map((p) => ({ applicant: p.name, institutions: p.ror_id === null ? [] : [p.ror_id], country: p.country_code })),
    expected,
  );
  const alerts = await alertsOf();
  assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.title)));
  const evidence = alerts[0]!.evidence as { applicants: { applicant: string; institutions: string[]; country: string | null }[] };
  assert.deepEqual(
    evidence.applicants.map((a) => ({ applicant: a.applicant, institutions: a.institutions, country: a.country })),
    expected,
  );
});

import { test } from 'node:test';
import { indicatorsOf } from '../../src/indicators/catalog.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openInput } from '../../src/ingest/lines.ts';
import { ingestPatents, readLens, readPatstat, type PatentItem } from '../../src/ingest/patents.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { copatentSectors, copatents, topApplicantPairs, topApplicants } from '../../src/indicators/patents.ts';
import { checkFacts } from '../../src/indicators/facts.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { INPUT, collect, streamOf, tempDir, writeTemp } from '../helpers/fixtures.ts';

test('Lens CSV: applicants and CPC classes split on ";;", bad rows set aside', async () => {
  const items = await collect(readLens(openInput(join(INPUT, 'lens-export.csv'))));
  assert.equal(items.length, 4);
  const first = items[0]!.ok ? items[0]!.patent : assert.fail('row 1');
  assert.deepEqual(
    first.applicants.map((a) => a.name),
    ['Tsinghua University', 'Delft University of Technology'],
  );
  assert.deepEqual(first.cpc, ['G06V10/82', 'G06N3/08']);
  assert.equal(first.year, 2022);
  assert.ok(!items[3]!.ok && /Lens ID/.test(items[3]!.reason) && items[3]!.lineNo === 5);
  await assert.rejects(collect(readLens(streamOf('Title,Year\nx,2020\n'))), /missing column\(s\): Lens ID, Applicants/);
});

test('PATSTAT-like table: rows grouped per application, inventors left out, bad rows set aside', async () => {
  const items = await collect(readPatstat(openInput(join(INPUT, 'patstat-applicants.csv'))));
  const ok = items.filter((i) => i.ok).map((i) => (i.ok ? i.patent : null)!);
  assert.deepEqual(
    ok.map((p) => p.patentId),
    ['500001', '500002', '500003', '500004'],
  );
  assert.deepEqual(ok[0]!.applicants, [
    { name: 'NOKIA TECHNOLOGIES OY', countryCode: 'FI' },
    { name: 'HUAWEI TECHNOLOGIES CO LTD', countryCode: 'CN' },
  ]);
  assert.deepEqual(ok[0]!.cpc, ['H04W 72/04', 'H04L 5/00']);
  const bad = items.filter((i) => !i.ok).map((i) => (!i.ok ? i.reason : ''));
  assert.equal(bad.length, 2);
  assert.match(bad[0]!, /appln_filing_year/);
  assert.match(bad[1]!, /person_ctry_code/);
});

test("co-patents by region pair, applicants, pairs and sectors; the brief's co-patent fact can be checked", async () => {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const org = (id: string, name: string, cc: string) => ({ id: `https://ror.org/${id}`, status: 'active', types: ['education'], names: [{ value: name, types: ['ror_display'], lang: 'en' }], locations: [{ geonames_details: { country_code: cc, country_name: cc, name: 'X' } }], relationships: [] });
  await ingestRegistry(
    store,
    writeTemp('ror.jsonl', [org('03cve4549', 'Tsinghua University', 'CN'), org('02e2c7k09', 'Delft University of Technology', 'NL'), org('052gg0110', 'University of Oxford', 'GB'), org('042nb2s44', 'Massachusetts Institute of Technology', 'US')].map((o) => JSON.stringify(o)).join('\n')),
  );
  const patstat = await ingestPatents(store, 'patstat', join(INPUT, 'patstat-applicants.csv'));
  assert.deepEqual([patstat.kept, patstat.quarantined], [4, 2]);
  const lens = await ingestPatents(store, 'lens', join(INPUT, 'lens-export.csv'));
  assert.deepEqual([lens.kept, lens.quarantined], [3, 1]);
  assert.equal((await ingestPatents(store, 'lens', join(INPUT, 'lens-export.csv'))).status, 'already ingested');
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  const regions = loadRegions();
  // PATSTAT 500001 (FI–CN, 2020), 500002 (SE–CN), 500003 (DE–CN, 2021); Lens rows 1 (NL–CN, 2022) and 2 (GB–CN, 2021).
  assert.deepEqual(await copatents(store, regions, 'EU27AC', 'CN'), [
    { year: 2020, copatents: 1 },
    { year: 2021, copatents: 3 },
    { year: 2022, copatents: 1 },
  ]);
  assert.deepEqual(await copatents(store, regions, 'US', 'CN'), [{ year: 2021, copatents: 1 }]);
  const applicants = await topApplicants(store, regions, 'EU27AC', 'CN', 3);
  assert.deepEqual(applicants[0], { applicant: 'HUAWEI TECHNOLOGIES CO LTD', countryCode: 'CN', copatents: 2 });
  const pairs = await topApplicantPairs(store, regions, 'EU27AC', 'CN', 10);
  assert.ok(pairs.some((p) => p.applicantA === 'Delft University of Technology' && p.applicantB === 'Tsinghua University'));
  const sectors = new Map((await copatentSectors(store, regions, 'EU27AC', 'CN')).map((s) => [s.fieldId, s.copatents]));
  assert.equal(sectors.get('networking-telecommunications'), 3);
  assert.equal(sectors.get('ai-image-processing'), 2);
  const fact = (await checkFacts(indicatorsOf(store, regions, loadTaxonomy()))).find((f) => f.id === 'copatents-telecoms')!;
  assert.equal(fact.verdict, 'agrees');
  assert.match(fact.dataSays, /HUAWEI TECHNOLOGIES CO LTD \(2\)/);
  store.close();
});

test('PATSTAT: an application with a row set aside is set aside whole (its applicants would be incomplete)', async () => {
  const csv = 'appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr\n700001,2020,ACME GMBH,DE,1\n700001,2020,HUAWEI TECHNOLOGIES CO LTD,China,2\n700002,2021,SIEMENS AG,DE,1\n';
  const items = await collect(readPatstat(streamOf(csv)));
  assert.deepEqual(
    items.map((i) => (i.ok ? `kept ${i.patent.patentId} ${i.patent.applicants.length}` : `${i.lineNo}: ${i.reason}`)),
    ['2: application 700001 has a row set aside: line 3: person_ctry_code is not ISO 3166-1 alpha-2: "CHINA"', 'kept 700002 1'],
  );
});

test('PATSTAT: a row the CSV cannot keep (cut short at the end of the file, too few fields) sets its application aside; a row of no known application is set aside alone', async () => {
  const header = 'appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr\n';
  const outcomes = async (csv: string) => (await collect(readPatstat(streamOf(csv)))).map((i) => (i.ok ? `kept ${i.patent.patentId} ${i.patent.applicants.map((a) => a.countryCode).join('+')}` : `${i.lineNo}: ${i.reason}`));
  // No line break after the last row: it may be cut short, and without it 700001 would be kept as German only.
  assert.deepEqual(await outcomes(`${header}700001,2020,ACME GMBH,DE,1\n700002,2021,SIEMENS AG,DE,1\n700001,2020,HUAWEI TECHNOLOGIES CO LTD,CN,2`), [
    '2: application 700001 has a row set aside: line 4: the file ends inside this row, without a line break after it: it may be cut short',
    'kept 700002 DE',
  ]);
  assert.deepEqual(await outcomes(`${header}700003,2020,HUAWEI TECHNOLOGIES CO LTD\n700003,2020,ACME GMBH,DE,2\nnot-an-id\n`), ['4: expected 5 columns, found 1', '2: application 700003 has a row set aside: line 2: expected 5 columns, found 3']);
});

const lensOf = (...rows: [string, string][]) => `Lens ID,Applicants\n${rows.map(([id, applicants]) => `${id},"${applicants}"`).join('\n')}\n`;
const patstatOf = (...rows: [string, string, string][]) => `appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr\n${rows.map(([id, name, seq]) => `${id},2021,"${name}",CN,${seq}`).join('\n')}\n`;
const outcomeOf = (i: PatentItem) => (i.ok ? `kept ${i.patent.patentId}: ${i.patent.applicants.map((a) => a.name).join(' | ')}` : `${i.lineNo}: ${i.reason}`);

test('Lens and PATSTAT alike: a patent with an applicant whose name has no letter or digit is set aside whole, the name shown; none named is "no applicants"', async () => {
  // Invisible characters around punctuation, a lone combining grapheme joiner, punctuation alone, nothing.
  const lens = await collect(
    readLens(
      streamOf(
        lensOf(
          ['012-345-678-901-231', '\u200b,\u200b;;HUAWEI TECHNOLOGIES CO LTD'],
          ['012-345-678-901-232', 'ZTE CORP;;\u034f'],
          ['012-345-678-901-233', '-;;ZTE CORP'],
          ['012-345-678-901-234', 'ZTE CORP;;'],
          ['012-345-678-901-235', '\u200b;;\u034f'],
          ['012-345-678-901-236', 'ZTE CORP;;HUAWEI TECHNOLOGIES CO LTD'],
        ),
      ),
    ),
  );
  const lost = 'which applicant the export lost cannot be told, so the patent is set aside whole';
  assert.deepEqual(lens.map(outcomeOf), [
    `2: applicant 1 of 2 has no name (no letter or digit: "\\u200b,\\u200b"): ${lost}`,
    `3: applicant 2 of 2 has no name (no letter or digit: "\\u034f"): ${lost}`,
    `4: applicant 1 of 2 has no name (no letter or digit: "-"): ${lost}`,
    `5: applicant 2 of 2 has no name (no letter or digit: ""): ${lost}`,
    '6: no applicants',
    'kept 012-345-678-901-236: ZTE CORP | HUAWEI TECHNOLOGIES CO LTD',
  ]);
  const patstat = await collect(readPatstat(streamOf(patstatOf(['700001', '\u200b,\u200b', '1'], ['700001', 'HUAWEI TECHNOLOGIES CO LTD', '2'], ['700002', 'ZTE CORP', '1'], ['700002', '\u034f', '2'], ['700003', ';', '1'], ['700004', 'ZTE CORP', '1']))));
  assert.deepEqual(patstat.map(outcomeOf), [
    '2: application 700001 has a row set aside: line 2: person_name has no letter or digit: "\\u200b,\\u200b"',
    '4: application 700002 has a row set aside: line 5: person_name has no letter or digit: "\\u034f"',
    '6: application 700003 has a row set aside: line 6: person_name has no letter or digit: ";"',
    'kept 700004: ZTE CORP',
  ]);
});

test('Lens: a run of ";" is one separator and a blank piece between two separators is none; a symbol alone ("™") is no name, in PATSTAT too', async () => {
  const lens = await collect(
    readLens(
      streamOf(
        lensOf(
          ['012-345-678-901-231', 'ZTE CORP;;;TU Berlin'],
          ['012-345-678-901-232', 'ZTE CORP;;;;TU Berlin'],
          ['012-345-678-901-233', 'ZTE CORP;; \u200b ;;TU Berlin'],
          ['012-345-678-901-234', 'ZTE CORP;;\u2122'],
          ['012-345-678-901-235', '\u337f;;TU Berlin'],
          ['012-345-678-901-236', 'ACME\u2122;;TU Berlin'],
        ),
      ),
    ),
  );
  const lost = 'which applicant the export lost cannot be told, so the patent is set aside whole';
  assert.deepEqual(lens.map(outcomeOf), [
    'kept 012-345-678-901-231: ZTE CORP | TU Berlin',
    'kept 012-345-678-901-232: ZTE CORP | TU Berlin',
    'kept 012-345-678-901-233: ZTE CORP | TU Berlin',
    `5: applicant 2 of 2 has no name (no letter or digit: "\u2122"): ${lost}`,
    `6: applicant 1 of 2 has no name (no letter or digit: "\u337f"): ${lost}`,
    'kept 012-345-678-901-236: ACME\u2122 | TU Berlin',
  ]);
  const cpc = await collect(readLens(streamOf('Lens ID,Applicants,CPC Classifications\n012-345-678-901-231,ZTE CORP,G06V10/82;;;G06N3/08\n')));
  assert.deepEqual(cpc[0]!.ok && cpc[0]!.patent.cpc, ['G06V10/82', 'G06N3/08']);
  const patstat = await collect(readPatstat(streamOf(patstatOf(['700001', '\u2122', '1'], ['700002', 'ZTE CORP', '1']))));
  assert.deepEqual(patstat.map(outcomeOf), ['2: application 700001 has a row set aside: line 2: person_name has no letter or digit: "\u2122"', 'kept 700002: ZTE CORP']);
});

test('PATSTAT: an application with inventor rows only is set aside, naming it, no longer dropped without a word', async () => {
  const patstat = await collect(readPatstat(streamOf(patstatOf(['700001', 'WANG LEI', '0'], ['700002', 'ZTE CORP', '1'], ['700001', 'LI NA', '0']))));
  assert.deepEqual(patstat.map(outcomeOf), ['2: application 700001 has no applicant row (every row has applt_seq_nr 0: inventors only)', 'kept 700002: ZTE CORP']);
});

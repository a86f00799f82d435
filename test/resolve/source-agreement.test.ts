import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { describeSourceAgreement, resolvePending, sourceAgreement } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';

const ror = (id: string, name: string, code: string, country: string, city: string) =>
  JSON.stringify({ id: `https://ror.org/${id}`, status: 'active', types: ['education'], names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }], locations: [{ geonames_details: { country_code: code, country_name: country, name: city } }], relationships: [] });

const authorship = (raw: string, insts: { ror?: string; country_code?: string }[]) => ({
  author_position: 'first',
  author: { id: `https://openalex.org/A${raw.length}`, display_name: 'Someone' },
  institutions: insts.map((i, k) => ({ id: `https://openalex.org/I${k}`, display_name: 'as OpenAlex names it', ...i })),
  raw_affiliation_strings: [raw],
  affiliations: [{ raw_affiliation_string: raw, institution_ids: insts.map((_, k) => `https://openalex.org/I${k}`) }],
});

test('the ingest summary says how often the institution and country OpenAlex asserts differ from derisk’s own', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    await ingestRegistry(store, writeTemp('ror.jsonl', [ror('0agree000', 'Aurora University of Technology', 'DE', 'Germany', 'Auroraville'), ror('0bxrea000', 'Borealis Institute of Science', 'FR', 'France', 'Boreville')].join('\n'), dir));
    const work = {
      id: 'https://openalex.org/W1',
      title: 'A work',
      publication_year: 2024,
      type: 'article',
      authorships: [
        // Both agree.
        authorship('Aurora University of Technology, Auroraville, Germany', [{ ror: 'https://ror.org/0agree000', country_code: 'DE' }]),
        // OpenAlex placed the author at another institution, in another country.
        authorship('Borealis Institute of Science, Boreville, France', [{ ror: 'https://ror.org/0agree000', country_code: 'DE' }]),
        // OpenAlex names an institution the registry does not hold: no institution to compare, the country agrees.
        authorship('Borealis Institute of Science, France', [{ ror: 'https://ror.org/0nxtxn200', country_code: 'FR' }]),
        // OpenAlex asserts nothing: not compared.
        authorship('Aurora University of Technology, Germany', []),
      ],
    };
    const first = await ingestWorks(store, 'openalex', writeTemp('works.jsonl', `${JSON.stringify(work)}\n`, dir), { quarantineDir: join(dir, 'q') });
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    const agreement = await sourceAgreement(store, [first.fileId]);
    assert.deepEqual(agreement, { institutionBoth: 2, institutionDiffers: 1, countryBoth: 3, countryDiffers: 1 });
    assert.equal(describeSourceAgreement(agreement), 'source-asserted vs derisk: institution differs on 1 of 2 strings (50.0%), country on 1 of 3 (33.3%)');
    // A later file of another shape (openalex_id for id) is quarantined whole: its summary has nothing to compare, not the earlier figure.
    const { id: _id, ...misshapen } = work;
    const second = await ingestWorks(store, 'openalex', writeTemp('other.jsonl', `${JSON.stringify({ ...misshapen, openalex_id: work.id })}\n`, dir), { quarantineDir: join(dir, 'q') });
    assert.equal(second.quarantined, 1);
    assert.deepEqual(await sourceAgreement(store, [second.fileId]), { institutionBoth: 0, institutionDiffers: 0, countryBoth: 0, countryDiffers: 0 });
  } finally {
    store.close();
  }
});

test('with nothing asserted by any source the figure says so instead of dividing by zero', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    const agreement = await sourceAgreement(store, []);
    assert.deepEqual(agreement, { institutionBoth: 0, institutionDiffers: 0, countryBoth: 0, countryDiffers: 0 });
    assert.match(describeSourceAgreement(agreement), /0 of 0 strings \(n\/a\)/);
  } finally {
    store.close();
  }
});

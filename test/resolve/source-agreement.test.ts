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
        // OpenAlex names an institution the registry does not hold: compared all the same (round 48: left out, a contradicted one went
        // unseen), and counted among the unregistered; the country agrees.
        authorship('Borealis Institute of Science, France', [{ ror: 'https://ror.org/0nxtxn200', country_code: 'FR' }]),
        // OpenAlex asserts nothing: not compared.
        authorship('Aurora University of Technology, Germany', []),
      ],
    };
    const first = await ingestWorks(store, 'openalex', writeTemp('works.jsonl', `${JSON.stringify(work)}\n`, dir), { quarantineDir: join(dir, 'q') });
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    const agreement = await sourceAgreement(store, [first.fileId]);
    assert.deepEqual(
      { ...agreement, examples: agreement.examples.map((e) => e.raw) },
      {
        institutionBoth: 3,
        institutionDiffers: 2,
        institutionOverruled: 2,
        institutionFamily: 0,
        countryBoth: 3,
        countryDiffers: 1,
        unregistered: 1,
        examples: ['Borealis Institute of Science, Boreville, France', 'Borealis Institute of Science, France'],
      },
    );
    assert.equal(
      describeSourceAgreement(agreement)[0],
      "source-asserted vs derisk: institution differs on 2 of 3 strings (66.7%; derisk's counted on the 2 it resolves at the exact tier, the source's kept beside; elsewhere the source's), the same institution family (one the other's parent or unit in the registry, not counted as differing) on 0, country on 1 of 3 (33.3%); 1 string names an institution not in the loaded registry (counted without the source's country)",
    );
    // A later file of another shape (openalex_id for id) is quarantined whole: its summary has nothing to compare, not the earlier figure.
    const { id: _id, ...misshapen } = work;
    const second = await ingestWorks(store, 'openalex', writeTemp('other.jsonl', `${JSON.stringify({ ...misshapen, openalex_id: work.id })}\n`, dir), { quarantineDir: join(dir, 'q') });
    assert.equal(second.quarantined, 1);
    assert.deepEqual(await sourceAgreement(store, [second.fileId]), { institutionBoth: 0, institutionDiffers: 0, institutionOverruled: 0, institutionFamily: 0, countryBoth: 0, countryDiffers: 0, unregistered: 0, examples: [] });
  } finally {
    store.close();
  }
});

test('with nothing asserted by any source the figure says so instead of dividing by zero', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    const agreement = await sourceAgreement(store, []);
    assert.deepEqual(agreement, { institutionBoth: 0, institutionDiffers: 0, institutionOverruled: 0, institutionFamily: 0, countryBoth: 0, countryDiffers: 0, unregistered: 0, examples: [] });
    assert.match(describeSourceAgreement(agreement)[0]!, /0 of 0 strings \(n\/a;/);
  } finally {
    store.close();
  }
});

test('a string derisk resolves to another institution only at the strong tier differs, and the summary says the source’s counts there', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    await ingestRegistry(store, writeTemp('ror.jsonl', [ror('0agree000', 'Aurora University of Technology', 'DE', 'Germany', 'Auroraville'), ror('0bxrea000', 'Borealis Institute of Science', 'FR', 'France', 'Boreville')].join('\n'), dir));
    const work = { id: 'https://openalex.org/W2', title: 'A work', publication_year: 2024, type: 'article', authorships: [authorship('Borealis Science Institute, France', [{ ror: 'https://ror.org/0agree000', country_code: 'DE' }])] };
    const file = await ingestWorks(store, 'openalex', writeTemp('works.jsonl', `${JSON.stringify(work)}\n`, dir), { quarantineDir: join(dir, 'q') });
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    const agreement = await sourceAgreement(store, [file.fileId]);
    assert.deepEqual([agreement.institutionBoth, agreement.institutionDiffers, agreement.institutionOverruled], [1, 1, 0]);
    assert.equal(describeSourceAgreement(agreement)[1], `  "Borealis Science Institute, France": the source says Aurora University of Technology; derisk resolves Borealis Institute of Science (ROR 0bxrea000) (not at the exact tier: the source's counts)`);
  } finally {
    store.close();
  }
});

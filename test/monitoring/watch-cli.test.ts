import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

const KU_LEUVEN = '05f950310';
const HIT = '01yqg2h08';
/** Payame Noor University, its name written with a zero-width non-joiner as Persian writes it. */
const PAYAME_NOOR = '031699d98';
let env: Record<string, string>;

before(async () => {
  const home = tempDir();
  env = { DERISK_HOME: home };
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', [rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin'), rorRecord(PAYAME_NOOR, 'دانشگاه پیام\u200cنور', 'IR', 'Tehran')].map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
  store.close();
});

test('derisk watch add / list, derisk ingest tells of new alerts, derisk alerts --json gives the contract', () => {
  const add = derisk(['watch', 'add', 'KU Leuven'], env);
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`^watching institution KU Leuven, BE \\(${KU_LEUVEN}\\)`));
  assert.match(derisk(['watch', 'add', KU_LEUVEN], env).stdout, /^already watching/);
  const unknown = derisk(['watch', 'add', 'Nowhere University'], env);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /"Nowhere University" names no institution and no list-entry/);
  assert.equal(derisk(['watch', 'add', 'x', '--kind', 'planet'], env).status, 2);
  const list = derisk(['watch', 'list', '--json'], env);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { ref: string }[]).map((i) => i.ref),
    [KU_LEUVEN],
  );

  const works = writeTemp(
    'new.jsonl',
    JSON.stringify({
      id: 'https://openalex.org/W77',
      doi: '10.5555/cli.w77',
      display_name: 'Joint work',
      publication_year: 2026,
      authorships: [
        { author: { display_name: 'A' }, raw_affiliation_strings: ['KU Leuven, Leuven, Belgium'] },
        { author: { display_name: 'B' }, raw_affiliation_strings: ['Harbin Institute of Technology, Harbin, China'] },
      ],
    }) + '\n',
  );
  const ingest = derisk(['ingest', 'openalex', works], env);
  assert.equal(ingest.status, 0, ingest.stderr);
  assert.match(ingest.stderr, /alerts: 1 new-copublication/);
  const alerts = derisk(['alerts', '--json'], env);
  assert.equal(alerts.status, 0, alerts.stderr);
  const parsed = JSON.parse(alerts.stdout) as Record<string, unknown>[];
  assert.equal(parsed.length, 1);
  assert.deepEqual(Object.keys(parsed[0]!), ['id', 'kind', 'created_at', 'title', 'subject', 'evidence', 'link', 'api']);
  assert.equal(parsed[0]!.kind, 'new-copublication');
  assert.equal(parsed[0]!.link, 'https://doi.org/10.5555/cli.w77');
  // Checking again finds nothing new; reading marks it read.
  // Said once, not once by the check and again by the command.
  assert.deepEqual(derisk(['alerts', 'check'], env).stderr.match(/alerts: .*/g), ['alerts: nothing new (0 evidence file(s), 0 list version(s) looked at)']);
  assert.equal(derisk(['alerts', 'read', parsed[0]!.id as string], env).status, 0);
  assert.match(derisk(['alerts', '--unread'], env).stdout, /no unread alerts/);
});

test('derisk watch add reads a name as written, whatever a PDF pasted into it: invisible characters, case, spaces, a ROR id in any form', () => {
  const home = tempDir();
  const own = { DERISK_HOME: home };
  // The fixture's registry and list, in a home of this test's own: the items are each added once here.
  cpSync(join(env.DERISK_HOME!, 'derisk.duckdb'), join(home, 'derisk.duckdb'));
  const watching = (text: string, kind?: string) => {
    const r = derisk(['watch', 'add', text, ...(kind ? ['--kind', kind] : []), '--json'], own);
    assert.equal(r.status, 0, `${JSON.stringify(text)}: ${r.stderr}`);
    const { kind: found, ref } = JSON.parse(r.stdout) as { kind: string; ref: string };
    return { kind: found, ref };
  };
  for (const text of ['Harbin Institute of Tech\u00adnology', 'Har\u200dbin Institute of Technology\u2060', 'harbin  INSTITUTE of\u00a0technology', `ror:${HIT}`, `<https://ror.org/${HIT}/>`, `${HIT}\u200b`]) assert.deepEqual(watching(text), { kind: 'institution', ref: HIT }, JSON.stringify(text));
  assert.deepEqual(watching('دانشگاه پیامنور'), { kind: 'institution', ref: PAYAME_NOOR }, "the registry's names are read the same way");
  assert.match(watching('Harbin Institute of Tech\u00adnology', 'list-entry').ref, /^my-watchlist\//);
  assert.deepEqual(watching('AI, machine\u200b learning and big data', 'field'), { kind: 'field', ref: 'ai-ml-big-data' });
  assert.deepEqual(watching('Data  gover\u00adnance', 'topic'), { kind: 'topic', ref: 'data-governance' });
});

// Round 49: an unknown field, country or topic exited 1, and only after opening the application database and the store.
test('derisk watch add --kind field|country|topic of a value derisk does not list is a usage error naming it and where the values are, before anything is opened', () => {
  const home = join(tempDir(), 'home');
  for (const [kind, value, listed] of [
    ['field', 'Quantum knitting', /data\/fields\/taxonomy\.json/],
    ['country', 'Atlantis', /ISO 3166-1 alpha-2 code \(\S+data\/regions\/countries\.json lists them\) or a country.s name/],
    ['country', 'ZZ', /data\/regions\/countries\.json/],
    ['topic', 'Underwater basket weaving', /data\/policy\/topics\.json/],
  ] as const) {
    const r = derisk(['watch', 'add', value, '--kind', kind], { DERISK_HOME: home });
    assert.equal(r.status, 2, `${kind} ${value}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^derisk: --kind ${kind}: "${value}" is no ${kind} derisk knows; give `));
    assert.match(r.stderr, listed);
    assert.ok(!existsSync(home), `${kind} ${value}: nothing is opened (${home} was made)`);
  }
});

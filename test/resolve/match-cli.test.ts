import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { addOrganisations, derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

const ROR = fileURLToPath(new URL('../input/ror-small.jsonl', import.meta.url));
const HIT = '01yqg2h08';
const RAW = 'Sch Comp Sci, HITech, Harbin';

test("derisk match: a correction at the console changes its organisation's resolution only, and a direct edit of it fails derisk audit verify", async () => {
  const env = { DERISK_HOME: join(tempDir(), 'home') };
  const ingest = derisk(['ingest', 'ror', ROR], env);
  assert.equal(ingest.status, 0, ingest.stderr);
  await addOrganisations(env, ['org-a', 'org-b']);
  const before = derisk(['match', 'resolve', RAW, '--org', 'org-a', '--json'], env);
  assert.equal(before.status, 0, before.stderr);
  assert.notEqual((JSON.parse(before.stdout) as { institutions: { rorId: string }[] }).institutions[0]?.rorId, HIT);

  assert.equal(derisk(['match', 'correct', RAW, HIT, '--org', 'org-a'], env).status, 2, '--reason is required');
  const bad = derisk(['match', 'correct', RAW, '0gxne0000', '--reason', 'x', '--org', 'org-a'], env);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /ror: 0gxne0000 is not in the loaded registry/);
  const made = derisk(['match', 'correct', RAW, `https://ror.org/${HIT}`, '--reason', 'HITech is how this group signs', '--org', 'org-a'], env);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /is Harbin Institute of Technology \(01yqg2h08\), for org-a/);

  const forA = JSON.parse(derisk(['match', 'resolve', 'SCH COMP SCI; HITECH; HARBIN', '--org', 'org-a', '--json'], env).stdout) as { institutions: { rorId: string; basis: { how: string } }[] };
  assert.deepEqual(
    forA.institutions.map((m) => [m.rorId, m.basis.how]),
    [[HIT, 'correction']],
  );
  const forB = JSON.parse(derisk(['match', 'resolve', RAW, '--org', 'org-b', '--json'], env).stdout) as { institutions: { rorId: string }[] };
  assert.notEqual(forB.institutions[0]?.rorId, HIT);
  assert.match(derisk(['match', 'list', '--org', 'org-b'], env).stdout, /no corrections for org-b/);
  assert.match(derisk(['match', 'list', '--org', 'org-a'], env).stdout, /is\s+01yqg2h08 .*organisation\/TLP:AMBER\+STRICT .*command line \(\w+\) \(cli:\w+\) .*\[in force\]/);
  const id = (JSON.parse(derisk(['match', 'list', '--org', 'org-a', '--json'], env).stdout) as { id: string }[])[0]!.id;
  assert.equal(derisk(['match', 'withdraw', id, '--org', 'org-a'], env).status, 2, '--reason is required');
  const withdrawn = derisk(['match', 'withdraw', id, '--reason', 'the group moved', '--org', 'org-a'], env);
  assert.equal(withdrawn.status, 0, withdrawn.stderr);
  assert.match(withdrawn.stdout, /withdrawn: .*\[withdrawn \d{4}-\d\d-\d\d by command line \(\w+\): the group moved\]/);
  assert.notEqual((JSON.parse(derisk(['match', 'resolve', RAW, '--org', 'org-a', '--json'], env).stdout) as { institutions: { rorId: string }[] }).institutions[0]?.rorId, HIT, 'withdrawn, it no longer applies');
  const twice = derisk(['match', 'withdraw', id, '--reason', 'again', '--org', 'org-a'], env);
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /was withdrawn already/);
  assert.equal(derisk(['audit', 'verify'], env).status, 0);
  // Tampering as with a database tool: the correction now says the string names nothing.
  const raw = await EmbeddedDb.open(join(env.DERISK_HOME, 'app.sqlite'));
  await raw.query("UPDATE match_corrections SET verdict = 'none', ror_id = ''");
  await raw.close();
  const tampered = derisk(['audit', 'verify'], env);
  assert.equal(tampered.status, 1, tampered.stdout);
  assert.match(tampered.stdout, /match_corrections\/.* was changed outside derisk/);
});

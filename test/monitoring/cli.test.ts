import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBundledEntries } from '../../src/monitoring/bundled-entries.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';

test('derisk kb list|show|add|edit|review|diff|changes|timeline|criterion, as the operator at the console', () => {
  const env = { DERISK_HOME: tempDir() };
  const run = (...args: string[]) => derisk(['kb', ...args], env);

  const list = run('list', '--json');
  assert.equal(list.status, 0, list.stderr);
  const entries = JSON.parse(list.stdout) as { id: string; review: { state: string } }[];
  assert.equal(entries.length, loadBundledEntries().entries.length);
  assert.ok(entries.every((e) => e.review.state === 'draft'));
  assert.match(run('list', '--search', '标准化').stdout, /cn-national-standardisation-development-outline/);

  const nil = run('show', 'cn-national-intelligence-law');
  assert.match(nil.stdout, /National Intelligence Law {2}\[cn-national-intelligence-law\]/);
  assert.match(nil.stdout, /original title: unknown/);
  assert.match(nil.stdout, /unknown: dates\.issued: the seeds give no date/);
  assert.match(nil.stdout, /clause: Art\. 7/);
  assert.match(nil.stdout, /MERICS Papers on China No 7.*\[sha256:9ee47c06cea9…\]/);
  assert.match(run('show', 'eu-ai-act', '--articles').stdout, /Art\. 5 {4}2025-02-02 {2}Prohibited AI practices/);

  const doc = loadBundledEntries().entries.find((e) => e.id === 'cn-civil-code')!;
  const fixed = writeTemp('nl.json', JSON.stringify({ ...doc, id: 'nl-knowledge-security-guide', jurisdiction: 'NL', title: { en: 'National knowledge security guidelines', original: null, lang: null } }));
  const added = run('add', fixed, '--note', 'from the ministry');
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /added nl-knowledge-security-guide, version 1 \(draft/);
  const again = run('add', fixed);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /entry nl-knowledge-security-guide exists already: edit it instead/);
  assert.match(run('add', writeTemp('broken.yaml', 'id: [unclosed\n')).stderr, /broken\.yaml: not valid YAML/);

  const v2 = writeTemp('civil.yaml', JSON.stringify({ ...doc, summary: `${doc.summary} Its personality-rights book protects privacy.` }));
  assert.match(run('edit', v2, '--base', '1', '--note', 'detail').stdout, /cn-civil-code: version 2 stored/);
  const stale = run('edit', v2, '--base', '1');
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /entry cn-civil-code is at version 2, not 1: someone changed it since/);
  const diff = run('diff', 'cn-civil-code', '1', '2');
  assert.match(diff.stdout, /~ summary: .*\{\+ ?Its personality-rights book protects privacy\.\+\}/);

  const review = run('review', 'cn-civil-code', '--version', '2', '--note', 'checked');
  assert.equal(review.status, 0, review.stderr);
  assert.match(review.stdout, /cn-civil-code: version 2 reviewed by command line/);

  const today = new Date().toISOString().slice(0, 10);
  const changes = run('changes', '--since', today, '--json');
  assert.equal(changes.status, 0, changes.stderr);
  const events = JSON.parse(changes.stdout) as { kind: string; entry: string; version: number; seq: number }[];
  const civil = events.filter((e) => e.entry === 'cn-civil-code').map((e) => `${e.kind} ${e.version}`);
  // The bundled entries' first seeding is the starting point, not a change (nor a day to tell when the installation was set up).
  assert.deepEqual(civil, ['changed 2', 'reviewed 2']);
  assert.match(run('show', 'cn-civil-code').stdout, /^ +1 +bundled +derisk \(bundled data\) — bundled with derisk$/m);
  assert.ok(events.some((e) => e.entry === 'nl-knowledge-security-guide' && e.kind === 'added'));
  assert.equal(run('changes').status, 2, '--since is required');

  const timeline = JSON.parse(run('timeline', '--from', '2025', '--to', '2025', '--jurisdiction', 'EU', '--json').stdout) as { date: string; entry: string }[];
  assert.deepEqual(
    timeline.map((e) => `${e.date} ${e.entry}`),
    ['2025-02-02 eu-ai-act', '2025-08-02 eu-ai-act'],
  );
  assert.match(run('criterion', 'E-IMPORTANT-DATA-TO-CHINA').stdout, /cn-national-intelligence-law/);
  assert.equal(derisk(['audit', 'verify'], env).status, 0);
});

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AppDb } from '../src/appdb/db.ts';
import { EmbeddedDb } from '../src/appdb/embedded.ts';
import { migrate } from '../src/appdb/migrate.ts';
import { loadRulebook } from '../src/assessment/rulebook.ts';
import type { Config } from '../src/config.ts';
import { entryHash, type EntryDoc } from '../src/monitoring/entry.ts';
import { KnowledgeBase } from '../src/monitoring/knowledge-base.ts';
import { appendAudit } from '../src/service/audit.ts';
import type { Actor } from '../src/service/authorize.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const VIEWER: Actor = { userId: 'bench', orgId: 'bench', role: 'viewer', name: 'bench' };
const QUERIES = ['data localisation', '标准化', 'generative AI', '生成式人工智能', 'prohibited practices', 'intelligence law'];

async function timed(n: number, f: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return { median: median(ms), p95: p95(ms) };
}

/** Copies of the bundled entries under new ids (the AI Act's articles only on the original), written straight into the tables with one audit entry. */
async function grow(db: AppDb, base: EntryDoc[], n: number): Promise<void> {
  const at = new Date().toISOString();
  await db.transaction(async (tx) => {
    const seq = await appendAudit(tx, { actor: 'bench', orgId: null, action: 'kb.bench', target: 'kb', detail: { entries: n } });
    for (let i = 0; i < n; i++) {
      const { articles: _articles, application: _application, ...b } = base[i % base.length]!;
      const doc = { ...b, id: `${b.id}-copy-${i}`, summary: `${b.summary} Copy ${i}.` };
      await tx.query("INSERT INTO kb_versions (entry_id, version, recorded_at, recorded_by, recorder_name, org_id, origin, note, status, title, jurisdiction, topics, changed, doc, doc_hash, audit_seq) VALUES ($1, 1, $2, 'bench', 'bench', NULL, 'edit', '', $3, $4, $5, $6, '[]', $7, $8, $9)", [
        doc.id,
        at,
        doc.status,
        doc.title.en,
        doc.jurisdiction,
        JSON.stringify(doc.topics),
        JSON.stringify(doc),
        entryHash(doc),
        seq,
      ]);
      await tx.query('INSERT INTO kb_entries (id, version, created_at, updated_at) VALUES ($1, 1, $2, $2)', [doc.id, at]);
    }
  });
}

/** Stored verdicts, as CaseService writes them, each with a third of the criteria holding; written 100 to a statement. */
async function verdicts(db: AppDb, n: number, criteria: string[]): Promise<void> {
  const at = new Date().toISOString();
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i += 100) {
      const rows = Array.from({ length: Math.min(100, n - i) }, (_, k) => ({ caseId: randomUUID(), id: randomUUID(), result: JSON.stringify({ criteria: criteria.map((c, j) => ({ id: c, status: (i + k + j) % 3 === 0 ? 'holds' : 'does-not-hold' })) }) }));
      await tx.query(
        `INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) VALUES ${rows.map((_, k) => `($${2 * k + 1}, 'bench', NULL, $${2 * k + 2}, '{}', 'bench', '${at}', '${at}')`).join(', ')}`,
        rows.flatMap((r, k) => [r.caseId, `case ${i + k}`]),
      );
      await tx.query(
        `INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result) VALUES ${rows.map((_, k) => `($${3 * k + 1}, $${3 * k + 2}, 'bench', 'bench', '${at}', 'r', 'v', 'h', '{}', 'red', $${3 * k + 3})`).join(', ')}`,
        rows.flatMap((r) => [r.id, r.caseId, r.result]),
      );
    }
  });
}

/**
 * The knowledge base on the embedded database: importing the bundled entries, full-text search
 * (English and Chinese) beside a plain substring scan of the stored documents, "what changed
 * since", and the links from criteria to stored verdicts — on the bundled entries and on
 * 10,000 entries and 10,000 verdicts.
 */
export async function kbBench(config: Config, runs: number): Promise<Record<string, unknown>> {
  const db = await EmbeddedDb.open(join(mkdtempSync(join(tmpdir(), 'derisk-kb-bench-')), 'app.duckdb'));
  const out: Record<string, unknown> = {};
  const row = (label: string, t: { median: number; p95: number }) => console.log(`  ${label.padEnd(64)} ${t.median.toFixed(2).padStart(8)} / ${t.p95.toFixed(2).padStart(8)}`);
  try {
    await migrate(db);
    const kb = new KnowledgeBase({ db, rulebook: () => loadRulebook(), mirror: config.mirror });
    let t = performance.now();
    const report = await kb.ready();
    out.importMs = performance.now() - t;
    const base = await Promise.all(report.added.map(async (id) => (await kb.get(VIEWER, id)).entry));
    const n = Math.max(20, runs * 20);
    const scan = async () => {
      const docs = await db.query<{ doc: string }>('SELECT v.doc FROM kb_entries e JOIN kb_versions v ON v.entry_id = e.id AND v.version = e.version');
      for (const q of QUERIES) docs.filter((d) => d.doc.toLowerCase().includes(q.toLowerCase()));
    };
    const search = () => Promise.all(QUERIES.map((q) => kb.list(VIEWER, { q })));
    console.log(`\nKnowledge base (embedded database; ms, median / p95 over ${n} runs; each run asks ${QUERIES.length} queries)`);
    console.log(`  import of the ${report.added.length} bundled entries (AI Act read from the Official Journal text): ${(out.importMs as number).toFixed(0)} ms`);
    out.bundled = { entries: report.added.length, search: await timed(n, search), substringScan: await timed(n, scan) };
    row(`search, ${report.added.length} entries`, (out.bundled as { search: { median: number; p95: number } }).search);
    row(`baseline: substring scan of the stored documents, ${report.added.length} entries`, (out.bundled as { substringScan: { median: number; p95: number } }).substringScan);
    t = performance.now();
    await grow(db, base, 10_000);
    const growMs = performance.now() - t;
    t = performance.now();
    await kb.list(VIEWER, { q: 'x' });
    const indexMs = performance.now() - t;
    // One edit: the next search reads only that entry again.
    const csl = (await kb.get(VIEWER, 'cn-cyber-security-law')).entry;
    await kb.edit({ ...VIEWER, role: 'analyst' }, csl.id, { ...csl, summary: `${csl.summary} Edited.` }, 1);
    t = performance.now();
    await kb.list(VIEWER, { q: 'x' });
    const afterEditMs = performance.now() - t;
    // Fewer runs at 10,000 entries: the baseline reads every document each time.
    const m = Math.max(5, runs * 3);
    const big = {
      entries: 10_000 + base.length,
      runs: m,
      writeMs: growMs,
      firstQueryWithIndexBuildMs: indexMs,
      firstQueryAfterOneEditMs: afterEditMs,
      search: await timed(m, search),
      substringScan: await timed(m, scan),
      changesSince: await timed(m, () => kb.changes(VIEWER, new Date().toISOString().slice(0, 10))),
      entry: await timed(m, () => kb.get(VIEWER, 'cn-cyber-security-law')),
    };
    console.log(
      `  ${big.entries.toLocaleString('en')} entries (median / p95 over ${m} runs): written in ${(growMs / 1000).toFixed(1)} s; first search (loads the entries and builds the index) ${indexMs.toFixed(0)} ms; first search after an edit (reads that entry again) ${afterEditMs.toFixed(0)} ms`,
    );
    row(`search, ${big.entries.toLocaleString('en')} entries`, big.search);
    row(`baseline: substring scan of the stored documents, ${big.entries.toLocaleString('en')} entries`, big.substringScan);
    row(`what changed since today (${big.entries.toLocaleString('en')} versions)`, big.changesSince);
    row('one entry with versions, criteria and verdict links', big.entry);
    out.large = big;
    const criteria = loadRulebook().criteria.map((c) => c.id);
    await verdicts(db, 10_000, criteria);
    t = performance.now();
    await kb.criterion(VIEWER, 'E-IMPORTANT-DATA-TO-CHINA');
    const catchUp = performance.now() - t;
    const links = { verdicts: 10_000, firstLookupReadsEveryVerdictMs: catchUp, criterion: await timed(m, () => kb.criterion(VIEWER, 'E-IMPORTANT-DATA-TO-CHINA')) };
    console.log(`  10,000 stored verdicts: first look-up reads each once in ${catchUp.toFixed(0)} ms`);
    row('a criterion with its entries and the verdicts citing it', links.criterion);
    out.verdictLinks = links;
    const ratio = big.search.median / big.substringScan.median;
    console.log(`  ratio search / substring scan at ${big.entries.toLocaleString('en')} entries: ${ratio.toFixed(3)}×`);
  } finally {
    await db.close();
  }
  return out;
}

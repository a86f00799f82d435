import { readFileSync } from 'node:fs';
import { cliActor } from './admin.ts';
import { parseArgs } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import type { Assessment } from '../assessment/assess.ts';
import { Assessor } from '../assessment/assessor.ts';
import { loadBundle, type PolicyBundle } from '../assessment/bundle.ts';
import { caseAsAssessed, readCase, readCaseDocument, type Case } from '../assessment/case.ts';
import { backdatedNote, copubWorksLines, reportHtml, writePdf } from '../assessment/report.ts';
import { DEFAULT_RULEBOOK } from '../assessment/rulebook.ts';
import { loadConfig } from '../config.ts';
import { screeningContext } from '../screening/store.ts';
import { cliActorName, NotFoundError, OTHER_ORG_USER, type Actor } from '../service/authorize.ts';
import type { AppDb } from '../appdb/db.ts';
import { assessmentDocument, CaseService, readAssessment, verdictDigest } from '../service/cases.ts';
import type { CorrectionRead } from '../resolve/org-view.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import { COMMON, connectEvidenceCluster, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { at, out } from './io.ts';
import { DAY } from './option-values.ts';
import { sha256Hex } from '../sha256.ts';
import { writableFile, writeTextFile } from '../text-file.ts';

/** The assessor over the store; with `clickhouse` (DERISK_EVIDENCE_URL) the shared evidence is read on the cluster, as the server reads it. */
export async function buildAssessor(store: Store, bundle: PolicyBundle, clickhouse?: ClickHouseEvidence): Promise<Assessor> {
  return new Assessor({ store, clickhouse, screening: await screeningContext(store), bundle });
}

/** Who made a verdict, as its report names them (never by user id): as `assess --report` and the server's report do. */
async function assessorName(db: AppDb, actor: Actor, createdBy: string | null): Promise<string> {
  if (createdBy === null) return OTHER_ORG_USER;
  return cliActorName(createdBy) ?? (await new CaseService(db, null as never).personName(actor, createdBy));
}

const today = () => new Date().toISOString().slice(0, 10);

function printAssessment(a: Assessment, id?: string, digest?: string): void {
  out.log(`${a.title}${id ? `  (assessment ${id})` : ''}`);
  const backdated = backdatedNote(a);
  if (backdated) out.log(backdated);
  out.log(`Overall: ${a.overall.toUpperCase()}${a.provisional ? ' (provisional: questions unanswered)' : ''}   rulebook ${a.rulebook.version} [${a.rulebook.hash}], bundle ${a.bundle.version} [${a.bundle.hash}], as of ${a.asOf}`);
  for (const [cat, v] of Object.entries(a.categories)) out.log(`  ${cat.padEnd(16)} ${v.verdict.padEnd(18)} ${v.holding.join(', ')}${v.needsInformation.length ? `   needs information: ${v.needsInformation.join(', ')}` : ''}`);
  for (const r of a.criteria.filter((x) => x.status !== 'does-not-hold' && x.outcome !== 'green')) {
    out.log(`\n[${r.status === 'holds' ? r.effective.toUpperCase() : 'NEEDS INFORMATION'}] ${r.id} — ${r.title}${r.loweredBy.length ? ` (lowered by ${r.loweredBy.join(', ')})` : ''}`);
    out.log(`  condition: ${r.condition}`);
    for (const e of r.evidence) out.log(`  ${e.path} = ${JSON.stringify(e.value)}${e.note ? `  (${e.note})` : ''}`);
    out.log(`  source: ${r.source.title}, ${r.source.clause}`);
    if (r.status === 'needs-information') out.log(`  to decide: ${r.requests.join('; ')}`);
    if (r.status === 'holds' && r.redRoute) {
      out.log(`  ${r.redRoute.kind === 'red-line' ? 'RED LINE' : 'red, unless'}: ${r.redRoute.text}`);
      for (const x of r.redRoute.conditions) out.log(`    - ${x}`);
      out.log(`    (${r.redRoute.sourceTitle}, ${r.redRoute.source.clause})`);
    }
  }
  for (const p of copubWorksLines(a) ?? []) {
    out.log(`\nCo-publications with listed entities — ${p.heading}:`);
    for (const w of p.works) out.log(`  - ${w}`);
    if (p.more) out.log(`  ${p.more}`);
  }
  if (a.lowering.length) out.log(`\nFactors lowering risk: ${a.lowering.join(', ')}`);
  out.log('\nWhat would change the verdict:');
  for (const w of a.whatWouldChange) out.log(`  - ${w}`);
  out.log('\nMitigation plan:');
  for (const [kind, items] of Object.entries(a.plan)) for (const m of items) out.log(`  [${kind}] ${m.text}`);
  for (const w of a.withheld ?? []) out.log(`  [not offered] ${w.text} (${w.why})`);
  out.log(`\nRe-assess by ${a.reassessBy}.`);
  const lists = (a.snapshot.lists ?? []) as { id: string; version: string; retrieved?: string }[];
  out.log(`Lists: ${lists.map((l) => `${l.id} ${l.version}${l.retrieved ? ` (retrieved ${l.retrieved})` : ''}`).join(', ') || 'none loaded'}`);
  // The digest the audit trail records for the stored verdict: a printed copy is checked against it.
  if (digest) out.log(`Verdict digest: ${digest}`);
}

const describeRead = (c: CorrectionRead) => `${JSON.stringify(c.string)} ${c.decision}${c.ror ? ` ${c.ror}` : ''} (${c.org}, ${c.id})`;

async function writeReport(path: string, c: Case, a: Assessment, meta: Parameters<typeof reportHtml>[2]): Promise<void> {
  const html = reportHtml(c, a, meta);
  if (path.endsWith('.pdf')) await writePdf(html, at(path));
  else writeTextFile(at(path), html);
  out.error(`report written to ${path}`);
}

export async function assessCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'assess',
    allowPositionals: true,
    takes: 1,
    options: { ...COMMON, report: { type: 'string' }, rulebook: { type: 'string' }, 'as-of': { type: 'string' }, rerun: { type: 'string' }, org: { type: 'string' } },
    checks: { 'as-of': (v) => DAY(v) ?? (v > today() ? `is after today (${today()}): a verdict reads today's lists and evidence, so it cannot be dated in the future` : null) },
  });
  if (values.report && !/\.(html?|pdf)$/.test(values.report)) throw new UsageError('--report writes .html or .pdf');
  // Before the store opens; a case file beside --rerun would be silently dropped.
  if (values.rerun === undefined && positionals.length !== 1) throw new UsageError('assess needs one case file (YAML or JSON), or --rerun <assessment id>');
  if (values.rerun !== undefined && positionals.length > 0) throw new UsageError(`assess --rerun replays a stored verdict: the case file ${JSON.stringify(positionals[0])} is not used`);
  if (values.report) writableFile(at(values.report));
  const bundle = loadBundle(values.rulebook ? { rulebook: at(values.rulebook) } : {});
  const config = loadConfig();
  return withStore(config, async (store) => {
    const db = await openAppDb(config);
    let clickhouse: ClickHouseEvidence | undefined;
    try {
      const actor = await cliActor(db, values.org ?? 'local');
      clickhouse = await connectEvidenceCluster(config);
      const assessor = await buildAssessor(store, bundle, clickhouse);
      const cases = new CaseService(db, assessor);
      if (values.rerun) {
        const { before, after, diff } = await cases.rerun(actor, values.rerun, bundle);
        if (values.json) out.log(JSON.stringify({ before: { id: before.id, overall: before.overall, rulebook: before.rulebook, bundle: before.result.bundle }, after: { id: after.id, overall: after.overall, rulebook: after.rulebook, bundle: after.result.bundle }, diff }, null, 2));
        else {
          out.log(`Replayed assessment ${before.id} of case ${before.caseId} (the case as assessed, what was observed then) as of ${before.result.asOf}: ${diff.rulebooks[0]} → ${diff.rulebooks[1]}`);
          out.log(`Overall: ${diff.overall[0]} → ${diff.overall[1]}`);
          for (const ch of diff.changed) out.log(`  ${ch.id}: ${ch.before} → ${ch.after}`);
          if (diff.changed.length === 0) out.log('  no criterion changed');
          for (const f of diff.files) out.log(`  file changed: ${f.file} ${f.before ?? '(absent)'} → ${f.after ?? '(absent)'}`);
          if (diff.files.length === 0) out.log('  no file of the policy bundle changed');
          const src = diff.sources;
          if (src.lists.length === 0 && !src.aliases && !src.registry) out.log('  lists, aliases and registry loaded now: the ones this verdict was screened against');
          else {
            out.log("  screening sources changed since (the replay screens as it did then; assess the case again to screen against today's):");
            const edition = (e: { version: string; retrieved: string } | null) => (e ? `${e.version} (retrieved ${e.retrieved})` : '(not loaded)');
            for (const l of src.lists) out.log(`    list ${l.id}: ${edition(l.before)} → ${edition(l.after)}`);
            if (src.aliases) out.log(`    aliases: ${src.aliases[0]} → ${src.aliases[1]}`);
            if (src.registry) out.log(`    registry: ${src.registry[0] ?? 'unknown'} → ${src.registry[1] ?? 'unknown'}`);
          }
          const mc = diff.corrections;
          if (!mc.recorded) out.log('  match corrections: not recorded with this verdict (stored before they were)');
          else if (!mc.changed) out.log(`  match corrections in force unchanged [${mc.now}]`);
          else {
            out.log(`  match corrections in force changed since [${mc.before} → ${mc.now}] (the replay reads the evidence as it was then; assess the case again to read it through them):`);
            for (const c of mc.added) out.log(`    added: ${describeRead(c)}`);
            for (const c of mc.removed) out.log(`    removed: ${describeRead(c)}`);
          }
        }
        return EXIT.ok;
      }
      const file = at(positionals[0]!);
      readCase(file, assessor.known);
      // The same file is the same case: assessing it again adds a verdict, not another case.
      const key = `file:${sha256Hex(readFileSync(file))}`;
      const { id } = await cases.create(actor, readCaseDocument(file), key);
      const stored = await cases.assess(actor, id, values['as-of'] ?? today(), bundle);
      const { case: _asAssessed, ...result } = stored.result;
      const digest = await verdictDigest(db, stored.id);
      if (values.json) out.log(JSON.stringify({ case: id, assessment: stored.id, ...result }, null, 2));
      else printAssessment(stored.result, stored.id, digest);
      if (values.report) await writeReport(values.report, caseAsAssessed(stored.result.case), stored.result, { caseId: id, assessmentId: stored.id, assessedBy: actor.name, digest });
      return EXIT.ok;
    } finally {
      await clickhouse?.close();
      await db.close();
    }
  });
}

/** Checks the rulebook (its policy tests run on load) within the policy bundle, and lists its criteria. */
export function rulebookCommand(argv: string[]): ExitCode {
  const { positionals, values } = parseArgs({ args: argv, command: 'rulebook', allowPositionals: true, takes: [1, 'one rulebook file at a time'], options: { ...COMMON } });
  const bundle = loadBundle({ rulebook: positionals[0] ?? DEFAULT_RULEBOOK });
  const rb = bundle.rulebook;
  const tests = rb.criteria.reduce((n, c) => n + c.tests.length, 0);
  // Parsed conditions stay inside: the JSON gives each condition as written (when).
  const written = (key: string, value: unknown) => (key === 'condition' && typeof value === 'object' ? undefined : value);
  if (values.json) out.log(JSON.stringify({ id: rb.id, version: rb.version, hash: rb.hash, bundle: bundle.record, criteria: rb.criteria }, written, 2));
  else {
    out.log(`${rb.title}\nversion ${rb.version}, content hash ${rb.hash}, ${rb.criteria.length} criteria, ${tests} policy tests passed (${rb.file})`);
    out.log(`policy bundle ${bundle.record.version} [${bundle.record.hash}]:`);
    for (const [f, h] of Object.entries(bundle.record.files)) out.log(`  ${f.padEnd(40)} ${h}${bundle.record.overrides?.[f] ? `  (read from ${bundle.record.overrides[f]})` : ''}`);
    for (const c of rb.criteria) out.log(`  ${c.id.padEnd(30)} ${c.category.padEnd(16)} ${c.outcome.padEnd(7)} ${c.appliesTo.join(',').padEnd(28)} ${c.when}`);
  }
  return EXIT.ok;
}

/** derisk assessments show <id>: a stored verdict as it was decided, with the case as assessed. */
export async function assessmentsCommand(argv: string[]): Promise<ExitCode> {
  const { positionals, values } = parseArgs({ args: argv, command: 'assessments', allowPositionals: true, takes: { show: 1 }, options: { ...COMMON, org: { type: 'string' }, report: { type: 'string' } } });
  if (positionals[0] !== 'show' || positionals.length !== 2) throw new UsageError('assessments show <assessment id> [--org O] [--json] [--report out.html|out.pdf]: a stored verdict with the case as assessed');
  if (values.report && !/\.(html?|pdf)$/.test(values.report)) throw new UsageError('--report writes .html or .pdf');
  if (values.report) writableFile(at(values.report));
  // A stored verdict is read from the application database alone: no store, lists or assessor.
  const db = await openAppDb(loadConfig());
  try {
    const org = values.org ?? 'local';
    const id = positionals[1]!;
    // As the server answers: another organisation's verdict is not found, and said the same way as a missing one.
    const actor = await cliActor(db, org);
    const stored = await readAssessment(db, actor, id).catch((e: unknown) => {
      throw e instanceof NotFoundError ? new NotFoundError(`no assessment ${id} in organisation ${org} (a verdict made in another organisation is shown with --org <its id>)`) : e;
    });
    const digest = await verdictDigest(db, stored.id);
    if (values.json) out.log(JSON.stringify(assessmentDocument(stored), null, 2));
    else printAssessment(stored.result, stored.id, digest);
    if (values.report) await writeReport(values.report, caseAsAssessed(stored.result.case), stored.result, { caseId: stored.caseId, assessmentId: stored.id, assessedBy: await assessorName(db, actor, stored.createdBy), digest });
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

import { out } from './io.ts';
import { parseArgs } from './args.ts';
import { parse as parseYaml } from 'yaml';
import { openAppDb } from '../appdb/open.ts';
import { loadRulebook } from '../assessment/rulebook.ts';
import { loadConfig } from '../config.ts';
import type { FieldChange } from '../monitoring/diff.ts';
import { EntryError, entryLabel } from '../monitoring/entry.ts';
import { KnowledgeBase, type EntrySummary } from '../monitoring/knowledge-base.ts';
import { loadVocabulary } from '../monitoring/vocabulary.ts';
import { readTextFile } from '../text-file.ts';
import { cliActor } from './admin.ts';
import { COMMON, EXIT, UsageError, type ExitCode } from './common.ts';
import { checkValues, DAY, oneOf, PARTIAL_DATE, whole } from './option-values.ts';
import { render } from './output.ts';

export const KB_USAGE = `derisk kb list [--search Q] [--topic T] [--jurisdiction CN|EU|INT…] [--type T] [--status S] [--review draft|reviewed] [--criterion ID] [--json]
  derisk kb show <id> [--version N] [--articles] [--json]     an entry: titles, status history, dates, sources, links, review, versions
  derisk kb diff <id> [FROM] [TO] [--json]                    what changed between two versions (default: the last change)
  derisk kb add <entry.json|yaml> [--note TEXT]               a new entry, as a draft (analyst)
  derisk kb edit <entry.json|yaml> --base N [--note TEXT]     a new version of an entry, edited from version N (analyst)
  derisk kb review <id> [--version N] [--note TEXT]           vouch for the current version (officer)
  derisk kb changes --since YYYY-MM-DD [--topic T] [--json]   entries added, changed, changed in status or reviewed since that day
  derisk kb timeline [--from D] [--to D] [--topic T] [--jurisdiction J] [--json]
  derisk kb criterion <ID> [--json]                           a rulebook criterion, the entries it rests on, your verdicts that cited it
  derisk kb import                                            bring in the entries bundled with derisk (also done on first use)`;

const OPTIONS = {
  ...COMMON,
  search: { type: 'string' },
  topic: { type: 'string' },
  jurisdiction: { type: 'string' },
  type: { type: 'string' },
  status: { type: 'string' },
  review: { type: 'string' },
  criterion: { type: 'string' },
  version: { type: 'string' },
  base: { type: 'string' },
  note: { type: 'string' },
  since: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  articles: { type: 'boolean' },
  org: { type: 'string' },
} as const;

const VERSION = whole(1, Number.MAX_SAFE_INTEGER, 'a version number');

/** A version number given as an argument (kb diff's FROM and TO); the options' are checked with the others. */
const versionNumber = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const wrong = VERSION(v);
  if (wrong) throw new UsageError(`${name}: ${JSON.stringify(v)} ${wrong}`);
  return Number(v);
};

function readEntryFile(file: string): unknown {
  const text = readTextFile(file, (m) => new EntryError(m));
  try {
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new EntryError(`${file}: not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(e as Error).message.split('\n')[0]})`);
  }
}

const reviewText = (e: EntrySummary) => (e.review.state === 'reviewed' ? `reviewed ${e.review.at!.slice(0, 10)}` : 'draft');

function printChanges(changes: FieldChange[]): void {
  if (changes.length === 0) out.log('  (no differences)');
  for (const c of changes) {
    if (c.words) out.log(`  ~ ${c.path}: ${c.words.map((w) => (w.op === 'same' ? w.text : w.op === 'add' ? `{+${w.text}+}` : `[-${w.text}-]`)).join('')}`);
    else if (c.kind === 'changed') out.log(`  ~ ${c.path}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`);
    else out.log(`  ${c.kind === 'added' ? '+' : '-'} ${c.path}: ${JSON.stringify(c.kind === 'added' ? c.after : c.before)}`);
  }
}

/** derisk kb …: the knowledge base of the policy and standards landscape, for the operator at the console. */
export async function kbCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'kb',
    allowPositionals: true,
    // Those that read no argument: one given is a mistake, not a filter.
    takes: { import: 0, list: [0, 'search with --search Q'], changes: 0, timeline: 0, show: 1, diff: 3, add: 1, edit: 1, review: 1, criterion: 1 },
    options: OPTIONS,
    checks: { review: oneOf(['draft', 'reviewed']), version: VERSION, base: VERSION, since: DAY, from: PARTIAL_DATE, to: PARTIAL_DATE },
  });
  const [sub, ...args] = positionals;
  // `derisk kb help`, as derisk help advertises it (round 48: it was an unknown kb command).
  if (!sub || values.help || sub === 'help') {
    out.log(`Usage:\n  ${KB_USAGE}`);
    return sub || values.help ? EXIT.ok : EXIT.usage;
  }
  // The words are data (data/policy/topics.json): checked before the database opens, so a typo is an
  // immediate usage error, not an open beside a running server (round 49).
  const vocabulary = loadVocabulary();
  const words = (m: ReadonlyMap<string, unknown>) => oneOf([...m.keys()]);
  checkValues(values, { topic: words(vocabulary.topics), jurisdiction: words(vocabulary.jurisdictions), type: words(vocabulary.types), status: words(vocabulary.statuses) });
  const config = loadConfig();
  const db = await openAppDb(config);
  try {
    const actor = await cliActor(db, values.org ?? 'local');
    const kb = new KnowledgeBase({ db, rulebook: () => loadRulebook(), mirror: config.mirror, vocabulary });
    const report = await kb.ready();
    for (const n of report.notices) out.error(`note: ${n}`);
    for (const l of report.brokenLinks) out.error(`warning: ${l}: no such criterion in the rulebook`);
    switch (sub) {
      case 'import': {
        out.log(`bundled entries: ${report.added.length} added, ${report.updated.length} updated, ${report.kept.length} kept as edited`);
        for (const k of report.kept) out.log(`  kept ${k.id}: ${k.reason}`);
        return EXIT.ok;
      }
      case 'list': {
        const rows = await kb.list(actor, {
          ...(values.search !== undefined ? { q: values.search } : {}),
          ...(values.topic ? { topic: values.topic } : {}),
          ...(values.jurisdiction ? { jurisdiction: values.jurisdiction } : {}),
          ...(values.type ? { type: values.type } : {}),
          ...(values.status ? { status: values.status } : {}),
          ...(values.review ? { review: values.review as 'draft' | 'reviewed' } : {}),
          ...(values.criterion ? { criterion: values.criterion } : {}),
        });
        if (values.json) out.log(JSON.stringify(rows, null, 2));
        else
          out.log(
            render(
              rows.map((e) => ({ id: e.id, jurisdiction: e.jurisdiction, type: e.type, status: e.status, issued: e.dates.issued ?? '', v: e.version, review: reviewText(e), title: e.title.short ?? e.title.en })),
              'table',
            ),
          );
        return EXIT.ok;
      }
      case 'show': {
        if (args.length !== 1) throw new UsageError('kb show <id>');
        const version = versionNumber(values.version, '--version');
        if (version !== undefined) {
          const v = await kb.version(actor, args[0]!, version);
          out.log(values.json ? JSON.stringify(v, null, 2) : `${entryLabel(v.entry)} — version ${version} ${v.info.at === null ? '(bundled with derisk)' : `of ${v.info.at.slice(0, 10)}`} by ${v.info.by.name}\n${JSON.stringify(v.entry, null, 2)}`);
          return EXIT.ok;
        }
        const view = await kb.get(actor, args[0]!);
        if (values.json) {
          out.log(JSON.stringify(view, null, 2));
          return EXIT.ok;
        }
        const e = view.entry;
        const vocab = kb.vocabulary;
        out.log(`${e.title.en}${e.title.short ? ` (${e.title.short})` : ''}  [${e.id}]`);
        out.log(`  original title: ${e.title.original ?? 'unknown'}${e.title.original && e.title.lang ? ` (${vocab.languages.get(e.title.lang) ?? e.title.lang})` : ''}`);
        out.log(`  ${vocab.types.get(e.type)?.label ?? e.type}, ${vocab.jurisdictions.get(e.jurisdiction) ?? e.jurisdiction}; issued by ${e.authority ?? 'unknown'}`);
        out.log(`  status: ${vocab.statuses.get(e.status)?.label ?? e.status}`);
        for (const s of e.status_history) out.log(`    ${(s.date ?? 'date unknown').padEnd(12)} ${vocab.statuses.get(s.status)?.label ?? s.status}${s.note ? ` — ${s.note}` : ''}`);
        out.log(
          `  dates: ${
            Object.entries(e.dates)
              .map(([k, v]) => `${k} ${v ?? 'unknown'}`)
              .join(', ') || 'none'
          }`,
        );
        if (e.clause) out.log(`  clause: ${e.clause}`);
        if (e.binds) out.log(`  binds: ${e.binds}`);
        out.log(`\n${e.summary}\n`);
        out.log(`  topics: ${e.topics.map((t) => vocab.topics.get(t)?.label ?? t).join('; ')}`);
        out.log(`  criteria: ${view.criteria.map((c) => `${c.id}${c.missing ? ' (not in the rulebook!)' : ` (${c.title})`}`).join('; ') || 'none'}`);
        for (const a of e.application ?? []) out.log(`  applies from ${a.date}: ${a.scope}`);
        if (e.articles) {
          if (values.articles) for (const a of e.articles) out.log(`    Art. ${String(a.number).padEnd(4)} ${a.applies_from}  ${a.title}${a.note ? ` (${a.note})` : ''}`);
          else out.log(`  ${e.articles.length} articles read from the official text (--articles lists them)`);
        }
        out.log('  sources:');
        for (const s of e.sources) {
          out.log(`    - ${s.title ?? s.url ?? s.seed ?? s.mirror ?? s.derisk ?? `issue ${s.issue}`}${s.where ? `, ${s.where}` : ''}${s.checksum ? ` [${s.checksum.slice(0, 19)}…]` : ''}${s.retrieved ? ` (retrieved ${s.retrieved})` : ''}`);
          if (s.quote) out.log(`      "${s.quote}"`);
          for (const c of s.cites ?? []) out.log(`      cites: ${c.title}${c.url ? ` <${c.url}>` : ''}${c.accessed ? `, accessed ${c.accessed}` : ''}`);
        }
        for (const u of e.unknown) out.log(`  unknown: ${u}`);
        for (const n of e.notes ?? []) out.log(`  note: ${n}`);
        const r = view.review;
        out.log(`\n  review: ${r.current ? `version ${r.current.version} reviewed ${r.current.at.slice(0, 10)} by ${r.current.by.name}` : `draft${r.last ? ` (version ${r.last.version} was reviewed ${r.last.at.slice(0, 10)})` : ''}`}`);
        out.log('  versions:');
        for (const v of view.versions) out.log(`    ${String(v.version).padStart(3)}  ${(v.at?.slice(0, 16).replace('T', ' ') ?? 'bundled').padEnd(16)}  ${v.by.name}${v.note ? ` — ${v.note}` : ''}${v.review ? '  [reviewed]' : ''}`);
        if (view.verdicts.length) {
          out.log('  your verdicts that cited its criteria:');
          for (const v of view.verdicts) out.log(`    ${v.at.slice(0, 10)} ${v.overall.padEnd(6)} ${v.caseTitle} (assessment ${v.assessment}; ${v.criteria.join(', ')})`);
        }
        return EXIT.ok;
      }
      case 'diff': {
        if (args.length < 1 || args.length > 3) throw new UsageError('kb diff <id> [FROM] [TO]');
        const d = await kb.diff(actor, args[0]!, args[1] === undefined ? undefined : (versionNumber(args[1], 'FROM') ?? 0), versionNumber(args[2], 'TO'));
        if (values.json) out.log(JSON.stringify(d, null, 2));
        else {
          out.log(`${d.id}: version ${d.from} → ${d.to}`);
          printChanges(d.changes);
        }
        return EXIT.ok;
      }
      case 'add':
      case 'edit': {
        if (args.length !== 1) throw new UsageError(`kb ${sub} <entry.json|entry.yaml>`);
        const doc = readEntryFile(args[0]!);
        if (sub === 'add') {
          const r = await kb.add(actor, doc, values.note ?? '', args[0]);
          out.log(`added ${r.id}, version ${r.version} (draft: an officer reviews it with derisk kb review ${r.id})`);
        } else {
          const base =
            versionNumber(values.base, '--base') ??
            (() => {
              throw new UsageError('kb edit needs --base N: the version your edit starts from (derisk kb show <id>)');
            })();
          const id = (doc as { id?: unknown })?.id;
          if (typeof id !== 'string') throw new EntryError(`${args[0]}: id: missing`);
          const r = await kb.edit(actor, id, doc, base, values.note ?? '', args[0]);
          out.log(r.changed ? `${r.id}: version ${r.version} stored (draft until reviewed)` : `${r.id}: nothing changed; still version ${r.version}`);
        }
        return EXIT.ok;
      }
      case 'review': {
        if (args.length !== 1) throw new UsageError('kb review <id> [--version N]');
        const r = await kb.review(actor, args[0]!, versionNumber(values.version, '--version'), values.note ?? '');
        out.log(`${args[0]}: version ${r.version} reviewed by ${r.by.name} at ${r.at}`);
        return EXIT.ok;
      }
      case 'changes': {
        if (!values.since) throw new UsageError('kb changes --since YYYY-MM-DD');
        const events = await kb.changes(actor, values.since, values.topic ? { topic: values.topic } : {});
        if (values.json) out.log(JSON.stringify(events, null, 2));
        else
          out.log(
            render(
              events.map((e) => ({ at: e.at.slice(0, 16).replace('T', ' '), kind: e.kind, entry: e.entry, v: e.version, status: e.statusBefore && e.statusBefore !== e.status ? `${e.statusBefore} → ${e.status}` : e.status, fields: e.fields.join(', '), by: e.by.name })),
              'table',
            ),
          );
        return EXIT.ok;
      }
      case 'timeline': {
        const events = await kb.timeline(actor, { ...(values.from ? { from: values.from } : {}), ...(values.to ? { to: values.to } : {}), ...(values.topic ? { topic: values.topic } : {}), ...(values.jurisdiction ? { jurisdiction: values.jurisdiction } : {}) });
        if (values.json) out.log(JSON.stringify(events, null, 2));
        else
          out.log(
            render(
              events.map((e) => ({ date: e.date, jurisdiction: e.jurisdiction, entry: e.title, event: e.label })),
              'table',
            ),
          );
        return EXIT.ok;
      }
      case 'criterion': {
        if (args.length !== 1) throw new UsageError('kb criterion <ID>');
        const c = await kb.criterion(actor, args[0]!);
        if (values.json) out.log(JSON.stringify(c, null, 2));
        else {
          out.log(c.criterion ? `${c.criterion.id} — ${c.criterion.title} (${c.criterion.category}, ${c.criterion.outcome})\n  source: ${c.criterion.source}` : `${args[0]}: not in the rulebook (entries still link to it)`);
          out.log('  entries it rests on:');
          for (const e of c.entries) out.log(`    ${e.id}  ${e.title.short ?? e.title.en} (${e.status}, ${reviewText(e)})`);
          out.log(`  your verdicts in which it held: ${c.verdicts.length}`);
          for (const v of c.verdicts) out.log(`    ${v.at.slice(0, 10)} ${v.overall.padEnd(6)} ${v.caseTitle} (assessment ${v.assessment})`);
        }
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown kb command ${JSON.stringify(sub)}\n  ${KB_USAGE}`);
    }
  } finally {
    await db.close();
  }
}

import { CHROMIUM, hasChromium, launchChromium } from '../chromium.ts';
import { UnavailableError } from '../errors.ts';
import type { Assessment, CriterionResult } from './assess.ts';
import type { Case } from './case.ts';
import { sourceName } from '../store/merges.ts';
import { evidenceInWords, LISTED_WORKS_KEPT, type CopubWorks, type ListedWork, type PartyScreen } from './evidence.ts';
import type { CorrectionRead, CorrectionsRead } from '../resolve/org-view.ts';
import { writeTextFile } from '../text-file.ts';

// A bidirectional control in a name would reorder the report's own words after it: it is shown as a marker ("⟨U+202E⟩").
const esc = (v: unknown): string =>
  String(v ?? '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
    .replace(/[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase()}⟩`);

const COLOUR: Record<string, string> = { red: '#b3261e', yellow: '#b58900', green: '#2e7d32', 'needs-information': '#5c6bc0' };

const badge = (v: string) => `<span class="badge" style="background:${COLOUR[v] ?? '#555'}">${esc(v.toUpperCase())}</span>`;

function criterionRow(r: CriterionResult): string {
  const evidence = r.evidence.map((e) => `<div>${esc(evidenceInWords(e.path, e.value))}${e.note ? ` <span class="muted">(${esc(e.note)})</span>` : ''}</div>`).join('');
  const route = r.redRoute
    ? `<div class="route"><strong>${r.redRoute.kind === 'red-line' ? 'Red line' : 'Red, unless'}:</strong> ${esc(r.redRoute.text)}${r.redRoute.conditions.length ? `<ul>${r.redRoute.conditions.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}<span class="muted">${esc(r.redRoute.sourceTitle)}, ${esc(r.redRoute.source.clause)}</span></div>`
    : '';
  const asks = r.status === 'needs-information' && r.requests.length ? `<div><strong>To decide:</strong> ${esc(r.requests.join('; '))}</div>` : '';
  return `<tr><td>${esc(r.id)}</td><td>${esc(r.title)}<div class="muted">${esc(r.rationale)}</div>${route}${asks}</td><td>${badge(r.effective)}${r.loweredBy.length ? `<div class="muted">lowered from ${esc(r.outcome)} by ${esc(r.loweredBy.join(', '))}</div>` : ''}</td><td>${evidence}</td><td>${esc(r.source.title)}, ${esc(r.source.clause)}</td></tr>`;
}

/**
 * For a verdict dated before the day it was made: that its lists, registry and rulebook are those of
 * that day, not of its as-of date (derisk keeps no dated history of them); only the co-publication
 * window follows the as-of date. Null for a verdict as of the day it was made.
 */
export function backdatedNote(a: Assessment): string | null {
  const observedOn = a.snapshot.observedOn as string | undefined;
  if (!observedOn || a.asOf >= observedOn) return null;
  const lists = ((a.snapshot.lists ?? []) as { id: string; version: string; retrieved: string }[]).map((l) => `${l.id} ${l.version}, retrieved ${l.retrieved}`).join('; ');
  return `Dated ${a.asOf}, but made on ${observedOn}: the parties were screened against the lists as retrieved then (${lists || 'no list loaded'}), the registry ${String(a.snapshot.registry ?? 'unknown')} and rulebook ${a.rulebook.version} were those of ${observedOn} — not those in force on ${a.asOf}. Only the co-publication window follows the as-of date.`;
}

/** How many of a partner's listed co-publications a report shows; the verdict keeps more. */
export const WORKS_SHOWN = 10;

/** Each affiliation string of a work once, with how many authors it names: a verdict stored before verdicts merged them keeps one per author affiliation. */
function distinctListed(listed: ListedWork['listed']): Required<ListedWork['listed'][number]>[] {
  const merged = new Map<string, Required<ListedWork['listed'][number]>>();
  for (const l of listed) {
    const seen = merged.get(l.affiliation);
    if (!seen) merged.set(l.affiliation, { affiliation: l.affiliation, hits: [...l.hits], authors: l.authors ?? 1 });
    else {
      seen.authors += l.authors ?? 1;
      for (const h of l.hits) if (!seen.hits.some((x) => x.list === h.list && x.entry === h.entry)) seen.hits.push(h);
    }
  }
  return [...merged.values()];
}

const workLine = (w: ListedWork) =>
  `${w.retracted ? 'RETRACTED ' : ''}${w.year} ${w.title ?? '(no title in the store)'} [${w.workId}] — with ${distinctListed(w.listed)
    .map((l) => `"${l.affiliation}" (${l.hits.map((h) => `${h.entry} on ${h.list}, ${h.level}`).join('; ')}${l.authors > 1 ? `; ${l.authors} authors` : ''})`)
    .join(', ')}${recordNotes(w)}`;

/** What the evidence of a work says beside its counted record: a retraction, the other sources that recorded it and what theirs differ in. */
function recordNotes(w: ListedWork): string {
  const notes: string[] = [];
  if (w.retracted) notes.push('marked retracted by its source: it counts, as the co-authorship happened, but the evidence is retracted');
  if (w.sources) {
    const others = w.sources.others.map((o) => `${sourceName(o.source)} ${o.sourceId}${o.differs.length > 0 ? `, differs in ${o.differs.join(', ')}` : ''}`);
    notes.push(`counted as ${sourceName(w.sources.kept)} records it; also recorded by ${others.join('; ')}`);
  }
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

/**
 * The works behind each partner's count of co-publications with listed entities, in lines: a
 * heading per partner, its first WORKS_SHOWN works and how many more. Null for a verdict made
 * before verdicts kept them.
 */
export function copubWorksLines(a: Assessment): { heading: string; works: string[]; more: string | null }[] | null {
  const kept = a.evidence?.copubWorks;
  if (!kept) return null;
  return kept.map((p: CopubWorks) => {
    const rest = p.listed - Math.min(WORKS_SHOWN, p.works.length);
    return {
      heading: `${p.partner}: ${p.listed} work${p.listed === 1 ? '' : 's'} in ${p.window[0]}–${p.window[1]} co-authored with a listed entity other than itself`,
      works: p.works.slice(0, WORKS_SHOWN).map(workLine),
      more: rest > 0 ? `and ${rest} more (the verdict keeps ${Math.min(p.works.length, LISTED_WORKS_KEPT)} in its evidence; derisk screen --portfolio ${p.rorId} lists all)` : null,
    };
  });
}

/** The report an officer files: case, verdict, evidence, sources, plan, rulebook version. Self-contained HTML. */
export interface ReportMeta {
  caseId?: string;
  assessmentId?: string;
  /** Who ran the assessment, by name. */
  assessedBy?: string;
  /** The digest of the stored verdict the audit trail records (verdictDigest), to check a printed copy against. */
  digest?: string;
  /** The sign-off, when an officer recorded one; null prints an empty block to sign on paper. */
  decision?: { decision: string; conditions: string[]; decidedByName: string; decidedAt: string } | null;
}

const DECISION_WORDS: Record<string, string> = { approved: 'Approved', 'approved-with-conditions': 'Approved with conditions', rejected: 'Rejected' };

function signOff(d: ReportMeta['decision']): string {
  if (!d)
    return `<h2>Decision and sign-off</h2><p class="muted">No decision is recorded in derisk for this verdict.</p><table class="sign"><tr><th>Decision</th><td></td></tr><tr><th>Conditions</th><td></td></tr><tr><th>Decided by</th><td></td></tr><tr><th>Date and signature</th><td></td></tr></table>`;
  return `<h2>Decision and sign-off</h2><table class="sign" data-testid="decision"><tr><th>Decision</th><td><strong>${esc(DECISION_WORDS[d.decision] ?? d.decision)}</strong></td></tr>${d.conditions.length ? `<tr><th>Conditions</th><td><ol>${d.conditions.map((x) => `<li>${esc(x)}</li>`).join('')}</ol></td></tr>` : ''}<tr><th>Decided by</th><td>${esc(d.decidedByName)}</td></tr><tr><th>Date</th><td>${esc(d.decidedAt.slice(0, 10))} <span class="muted">(${esc(d.decidedAt)}, recorded in the audit trail)</span></td></tr></table>`;
}

/** Which match corrections the evidence was read through: part of what an officer defends. */
function correctionsBasis(mc: CorrectionsRead | undefined): string {
  if (!mc) return '<p class="muted" data-testid="corrections">Match corrections: not recorded with this verdict.</p>';
  if (mc.items.length === 0) return `<p class="muted" data-testid="corrections">Evidence read through no match corrections [${esc(mc.hash)}].</p>`;
  // Names as the verdict recorded them; a verdict made before they were recorded shows the ROR id alone.
  const institution = (c: CorrectionRead) => (c.rorName ? `${c.rorName} (ROR ${c.ror})` : `ROR ${c.ror}`);
  const author = (c: CorrectionRead) => (c.by === undefined ? '' : `, by ${c.byName ? `${c.byName} (${c.by})` : c.by}`);
  const item = (c: CorrectionRead) => `<li>${esc(JSON.stringify(c.string))} ${esc(c.decision === 'is' ? `is ${institution(c)}` : c.decision === 'not' ? `is not ${institution(c)}` : 'names no registry institution')} <span class="muted">(${esc(c.org)}, ${esc(c.id)}${esc(author(c))})</span></li>`;
  return `<div class="muted" data-testid="corrections">Evidence read through ${mc.items.length} match correction${mc.items.length === 1 ? '' : 's'} [${esc(mc.hash)}]:<ul>${mc.items.map(item).join('')}</ul></div>`;
}

export function reportHtml(c: Case, a: Assessment, meta: ReportMeta = {}): string {
  const titles = new Map(a.criteria.map((r) => [r.id, r.title]));
  const named = (ids: string[]) => ids.map((id) => `<div>${esc(id)} — ${esc(titles.get(id) ?? '')}</div>`).join('');
  const holding = a.criteria.filter((r) => r.status === 'holds' && r.outcome !== 'green');
  const open = a.criteria.filter((r) => r.status === 'needs-information');
  const parties = (a.evidence?.parties ?? []) as PartyScreen[];
  const planRows = (Object.entries(a.plan) as [string, { text: string; calledForBy: string[] }[]][])
    .filter(([, items]) => items.length > 0)
    .map(([kind, items]) => `<h3>${esc(kind)}</h3><ul>${items.map((m) => `<li>${esc(m.text)} <span class="muted">(${esc(m.calledForBy.join(', '))})</span></li>`).join('')}</ul>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>derisk assessment — ${esc(c.title)}</title>
<style>
body{font-family:"Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP",sans-serif;margin:2em;color:#1b1b1b;font-size:11pt}
h1{font-size:18pt;margin-bottom:.2em}h2{font-size:13pt;border-bottom:1px solid #ccc;margin-top:1.4em}h3{font-size:11pt;margin:.8em 0 .2em}
table{border-collapse:collapse;width:100%;font-size:9.5pt}td,th{border:1px solid #ddd;padding:4px;vertical-align:top;text-align:left}
.badge{color:#fff;padding:2px 8px;border-radius:3px;font-weight:bold;font-size:9pt}.muted{color:#555;font-size:9pt}code{font-size:8.5pt}
.verdict{font-size:14pt;margin:.6em 0}.sign th{width:12em}.sign td{height:1.6em}
@media print{body{margin:0}tr{break-inside:avoid}h2{break-after:avoid}}
@media (max-width:600px){body{margin:.6em}table{font-size:9pt}td,th{padding:2px}}.route{margin-top:.3em;padding:.2em .4em;border-left:3px solid #b3261e}
</style></head><body>
<h1>Collaboration assessment: ${esc(c.title)}</h1>
<div class="muted">${c.reference ? `Reference ${esc(c.reference)} · ` : ''}${meta.caseId ? `case ${esc(meta.caseId)} · ` : ''}${meta.assessmentId ? `assessment ${esc(meta.assessmentId)} · ` : ''}as of ${esc(a.asOf)}${meta.assessedBy ? ` · by ${esc(meta.assessedBy)}` : ''}${meta.digest ? ` · <span data-testid="digest">verdict digest ${esc(meta.digest)}</span>` : ''}</div>
${backdatedNote(a) ? `<p class="route" data-testid="backdated">${esc(backdatedNote(a))}</p>` : ''}
<div class="verdict">Overall verdict: ${badge(a.overall)}${a.provisional ? ' <span class="muted">provisional: some questions are unanswered</span>' : ''}</div>
<table><tr><th>Risk category</th><th>Verdict</th><th>Criteria that hold</th><th>Needs information</th></tr>
${Object.entries(a.categories)
  .map(([cat, v]) => `<tr><td>${esc(cat)}</td><td>${badge(v.verdict)}</td><td>${named(v.holding)}</td><td>${named(v.needsInformation)}</td></tr>`)
  .join('')}
</table>
<h2>The case</h2>
<table>
<tr><th>Kind</th><td>${esc(c.kind)}</td></tr>
<tr><th>Partners</th><td>${c.partners.map((p) => `${esc(p.name ?? `not named yet${p.description ? ` (${p.description})` : ''}`)}${p.ror ? ` (ROR ${esc(p.ror)})` : ''} — ${esc(p.role)}, ${esc(p.kind)}${p.country ? `, ${esc(p.country)}` : ''}`).join('<br>')}</td></tr>
<tr><th>Funders / in kind</th><td>${c.funders === null ? 'funders: unknown' : c.funders.map((f) => `${esc(f.name ?? 'not named yet')} (${esc(f.kind)})`).join('<br>') || 'no funders'}<br>${c.inKind === null ? 'in-kind support: unknown' : c.inKind.map((k) => `${esc(k.from ?? 'not named yet')}: ${esc(k.what)} (${esc(k.kind)})`).join('<br>') || 'no in-kind support'}</td></tr>
<tr><th>Technology</th><td>${esc(c.technology.fields === null ? 'unknown' : c.technology.fields.length ? c.technology.fields.join(', ') : 'in no sensitive field')}${c.technology.description ? ` — ${esc(c.technology.description)}` : ''}</td></tr>
<tr><th>Application</th><td>${esc(c.application.uses?.join(', ') ?? 'unknown')}${c.application.description ? ` — ${esc(c.application.description)}` : ''}; aimed at: ${esc(c.application.populations?.join(', ') ?? 'unknown')}; languages: ${esc(c.application.languages?.join(', ') ?? 'unknown')}; minority component the whole project: ${esc(c.application.minoritiesWholeProject)}</td></tr>
<tr><th>Data</th><td>kinds: ${esc(c.data.kinds?.join(', ') ?? 'unknown')}; about: ${esc(c.data.subjects?.join(', ') ?? 'unknown')}; stored: ${esc(c.data.storage?.join(', ') ?? 'unknown')}; transfer to China: ${esc(c.data.transferToChina)}; access: ${esc(c.data.access)}</td></tr>
<tr><th>Terms</th><td>equal access to data: ${esc(c.terms.equalAccessToData)}; equal right to publish: ${esc(c.terms.equalRightToPublish)}; IP agreement: ${esc(c.terms.ipAgreement)}; partner veto: ${esc(c.terms.partnerVetoOnPublication)}</td></tr>
<tr><th>Personnel</th><td>${c.personnel === null ? 'not given' : c.personnel.map((p) => `${esc(p.name)} (${esc(p.affiliations === null ? 'affiliations unknown' : p.affiliations.join('; ') || 'no affiliation')}) — talent programmes: ${esc(p.talentProgrammes === null ? 'unknown' : p.talentProgrammes.join(', ') || 'none')}; mobility: ${esc(p.mobility?.join(', ') ?? 'unknown')}`).join('<br>') || 'none'}</td></tr>
${c.standards ? `<tr><th>Standards engagement</th><td>forum: ${esc(c.standards.forum ?? 'unknown')}; topics: ${esc(c.standards.topics?.join(', ') ?? 'unknown')}; role: ${esc(c.standards.role)}; voting rights: ${esc(c.standards.votingRights)}; access to drafts: ${esc(c.standards.accessToDrafts)}; leadership open: ${esc(c.standards.leadershipOpen)}; fees proportionate: ${esc(c.standards.feesProportionate)}; patents declared: ${esc(c.standards.patentsDeclared)}; FRAND commitment: ${esc(c.standards.frandCommitment)}</td></tr>` : ''}
<tr><th>Duration</th><td>${esc(c.duration.start ?? 'unknown')}, ${esc(c.duration.months ?? '?')} months</td></tr>
</table>
<h2>Screening of the parties</h2>
<table><tr><th>Party</th><th>Identified as</th><th>Listings (list, entry, level, match, source)</th></tr>
${parties.map((p) => `<tr><td>${esc(p.query ?? 'not named yet')} <span class="muted">(${esc(p.role)})</span></td><td>${p.identified ? esc(p.why) : `<strong>unknown organisation</strong>: ${esc(p.why)}`}</td><td>${p.hits.length ? p.hits.map((h) => `${badge(h.level)} ${esc(h.entry)} — ${esc(h.list)}, ${esc(h.match)}${h.inherited ? `, inherited via ${esc(h.inherited.via)}` : ''} <span class="muted">(${esc(h.listTitle)}, version ${esc(h.listVersion)}; ${esc(h.evidence)})</span>`).join('<br>') : p.identified ? 'recognised, not listed' : 'unknown: identify it before relying on this'}</td></tr>`).join('')}
</table>
${copubsSection(a)}
<h2>Criteria that hold</h2>
${holding.length ? `<table><tr><th>Id</th><th>Criterion and rationale</th><th>Outcome</th><th>Evidence</th><th>Source</th></tr>${holding.map(criterionRow).join('')}</table>` : '<p>None.</p>'}
${open.length ? `<h2>Needs information</h2><table><tr><th>Id</th><th>Criterion and rationale</th><th>Outcome if it holds</th><th>Evidence</th><th>Source</th></tr>${open.map(criterionRow).join('')}</table>` : ''}
${a.lowering.length ? `<h2>Factors lowering risk</h2><p>${esc(a.lowering.join(', '))}</p>` : ''}
<h2>What would change the verdict</h2><ul>${a.whatWouldChange.map((w) => `<li>${esc(w)}</li>`).join('') || '<li>Nothing in this rulebook holds.</li>'}</ul>
<h2>Mitigation plan</h2>${planRows}${a.withheld?.length ? `<h3>Not offered</h3><ul>${a.withheld.map((w) => `<li>${esc(w.text)} <span class="muted">(${esc(w.why)})</span></li>`).join('')}</ul>` : ''}
<p><strong>Re-assess by ${esc(a.reassessBy)}.</strong></p>
${signOff(meta.decision)}
<h2>Basis</h2>
<p class="muted">Rulebook ${esc(a.rulebook.title)}, version ${esc(a.rulebook.version)}, content hash ${esc(a.rulebook.hash)}. Policy bundle ${esc(a.bundle?.version ?? 'not recorded')} [${esc(a.bundle?.hash ?? '')}]: ${esc(
    Object.entries(a.bundle?.files ?? {})
      .map(([f, h]) => `${f} ${h}`)
      .join(', '),
  )}. Lists: ${esc(((a.snapshot.lists ?? []) as { id: string; version: string; retrieved?: string }[]).map((l) => `${l.id} ${l.version}${l.retrieved ? ` (retrieved ${l.retrieved})` : ''}`).join(', '))}; registry ${esc(String(a.snapshot.registry ?? 'unknown'))}; ${esc(String(a.snapshot.works ?? 0))} works in the evidence store.</p>
${correctionsBasis(a.snapshot.corrections as CorrectionsRead | undefined)}
${meta.digest ? `<p class="muted">Verdict digest (SHA-256 of the stored verdict, as its audit entry <code>assessment.run</code> records it; <code>derisk audit verify</code> checks the stored verdict against it): <code>${esc(meta.digest)}</code></p>` : ''}
</body></html>`;
}

/** The works behind the co-publication count, for a verdict that kept them and counted some. */
function copubsSection(a: Assessment): string {
  const partners = copubWorksLines(a);
  if (partners === null || partners.length === 0) return '';
  return `<h2>Co-publications with listed entities</h2><div data-testid="copub-works">${partners.map((p) => `<h3>${esc(p.heading)}</h3><ol>${p.works.map((w) => `<li>${esc(w)}</li>`).join('')}</ol>${p.more ? `<p class="muted">${esc(p.more)}</p>` : ''}`).join('')}</div>`;
}

/** Prints the HTML report to PDF with headless Chromium (Debian's package), Chinese names included. */
export async function reportPdf(html: string): Promise<Buffer> {
  if (!hasChromium()) throw new UnavailableError(`a PDF report needs Chromium at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk, or set DERISK_CHROMIUM); the HTML report prints from a browser too`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', margin: { top: '15mm', bottom: '15mm', left: '12mm', right: '12mm' }, printBackground: true });
  } finally {
    await browser.close();
  }
}

/** The report as PDF, written whole or not at all (a write that fails midway leaves no partial PDF). */
export async function writePdf(html: string, out: string): Promise<void> {
  writeTextFile(out, await reportPdf(html));
}

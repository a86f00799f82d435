import { listValue } from '../store/duckdb.ts';
import { chinaRules, type ChinaRule } from '../monitoring/bundled-entries.ts';
import type { Store } from '../store/store.ts';
import type { Hit, ScreenResult } from './screener.ts';

export interface Briefing {
  partner: string;
  screened: ScreenResult;
  /** What each list says, one row per listing. */
  listings: Hit[];
  /** Co-publications in the store with affiliations that screen to this partner. */
  history: { year: number; works: number }[];
  fields: { field: string; works: number }[];
  europeanPartners: { rorId: string; name: string; works: number }[];
  /** The knowledge base's entries for China that say whom they bind. */
  rules: ChinaRule[];
}

/** A briefing sheet for a flagged partner: the listings, the co-publication record, the rules that bind it. */
export async function briefing(store: Store, screened: ScreenResult, europe: string[]): Promise<Briefing> {
  const entries = screened.hits.map((h) => [h.list, h.entryId]);
  const partner = screened.hits[0]?.entry ?? screened.institutions[0]?.name ?? screened.query;
  let history: Briefing['history'] = [];
  let fields: Briefing['fields'] = [];
  let europeanPartners: Briefing['europeanPartners'] = [];
  if (entries.length > 0) {
    // The entries go with each query ($1, $2), not in a temporary table: the server's connection is
    // shared by concurrent requests, and a backup of the store would carry the table along.
    const hit = [listValue(entries.map((e) => e[0]!)), listValue(entries.map((e) => e[1]!))];
    const works = `SELECT DISTINCT w.work_id, w.year FROM works w
      JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id
      JOIN screen_hits h ON h.raw = a.raw JOIN (SELECT unnest($1::VARCHAR[]) AS list_id, unnest($2::VARCHAR[]) AS entry_id) USING (list_id, entry_id)`;
    history = (await store.all<{ year: number; works: bigint }>(`SELECT year, count(*) AS works FROM (${works}) GROUP BY year ORDER BY year`, hit)).map((r) => ({ year: r.year, works: Number(r.works) }));
    fields = (await store.all<{ field: string; works: bigint }>(`SELECT field_id AS field, count(*) AS works FROM (${works}) JOIN work_fields USING (work_id) GROUP BY field_id ORDER BY works DESC, field`, hit)).map((r) => ({ field: r.field, works: Number(r.works) }));
    europeanPartners = (
      await store.all<{ ror_id: string; name: string; works: bigint }>(
        `SELECT wi.ror_id, coalesce(i.name, wi.ror_id) AS name, count(DISTINCT wi.work_id) AS works
         FROM (${works}) fw JOIN work_institutions wi USING (work_id) LEFT JOIN institutions i USING (ror_id)
         WHERE wi.country_code IN (SELECT unnest($3::VARCHAR[])) AND wi.ror_id IS NOT NULL
         GROUP BY ALL ORDER BY works DESC, name LIMIT 15`,
        [...hit, listValue(europe)],
      )
    ).map((r) => ({ rorId: r.ror_id, name: r.name, works: Number(r.works) }));
  }
  return { partner, screened, listings: screened.hits, history, fields, europeanPartners, rules: chinaRules() };
}

/** The sheet as Markdown, for filing or mailing. */
export function briefingMarkdown(b: Briefing): string {
  const lines = [`# Briefing: ${b.partner}`, '', `Screened: "${b.screened.query}"`, ''];
  lines.push('## What the lists say', '');
  if (b.listings.length === 0) lines.push('Not found on any loaded list.', '');
  for (const h of b.listings) {
    lines.push(`- **${h.listTitle}** (${h.list}, version ${h.listVersion}): ${h.entry} — level **${h.level}**${h.category ? `, category ${h.category}` : ''}; matched ${h.match} (${h.score})${h.inherited ? `, inherited via ${h.inherited.via}` : ''}.`);
    if (h.sourceText) lines.push(`  > ${h.sourceText.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
  if (b.screened.similar.length > 0) lines.push('', `Similar names that are *not* this partner: ${b.screened.similar.map((s) => `${s.entry} (${s.list})`).join('; ')}.`);
  lines.push('', '## Co-publications in the loaded data', '');
  lines.push(b.history.length === 0 ? 'None found.' : b.history.map((h) => `${h.year}: ${h.works}`).join(' · '));
  if (b.fields.length > 0) lines.push('', `Fields: ${b.fields.map((f) => `${f.field} (${f.works})`).join(', ')}`);
  if (b.europeanPartners.length > 0) lines.push('', `European co-authoring institutions: ${b.europeanPartners.map((p) => `${p.name} (${p.works})`).join(', ')}`);
  lines.push('', '## Chinese rules that bind this partner', '');
  for (const r of b.rules) lines.push(`- **${r.title}** — ${r.summary} _(applies to ${r.applies_to}; source: ${r.source})_`);
  return `${lines.join('\n')}\n`;
}

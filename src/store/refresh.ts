import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFieldRules, loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { TIER_RANK, type Tier } from '../resolve/matcher.ts';
import { refreshListedAffiliations } from '../screening/store.ts';
import type { Store } from './store.ts';

const statements = (file: string) =>
  readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8')
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);

const REFRESH = statements('./refresh.sql');
const UPLOAD_REFRESH = statements('./upload-refresh.sql');

/** Rebuilds works, their fields, work_affiliations and work_institutions from the shared base (never from uploads). */
export async function refreshAnalytics(store: Store, minTier: Exclude<Tier, 'unresolved'> = 'strong', taxonomy: Taxonomy = loadTaxonomy()): Promise<void> {
  await loadFieldRules(store, taxonomy);
  await store.transaction(async () => {
    for (const sql of REFRESH) await store.run(sql, sql.includes('$1') ? [TIER_RANK[minTier]] : undefined);
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_min_tier', $1)`, [minTier]);
    await refreshListedAffiliations(store);
  });
}

/** Builds the works and fields of one organisation's uploaded export, for its portfolio. */
export async function refreshUpload(store: Store, orgId: string, fileId: string, taxonomy: Taxonomy = loadTaxonomy()): Promise<void> {
  await loadFieldRules(store, taxonomy);
  await store.transaction(async () => {
    for (const sql of UPLOAD_REFRESH) await store.run(sql, [orgId, fileId]);
  });
}

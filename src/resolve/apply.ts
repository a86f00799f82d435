import type { Store } from '../store/store.ts';
import { RESOLVER_VERSION, type AffiliationResolver } from './matcher.ts';

/** Version of resolutions in the store: the matcher's behaviour and the registry it matched against. */
export async function resolutionVersion(store: Store): Promise<string> {
  const registry = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`);
  return `${RESOLVER_VERSION}/${registry?.value ?? 'no-registry'}`;
}

/**
 * Resolves every distinct affiliation string (and patent applicant name) not yet resolved
 * under the current version. Each string is resolved once however many works use it.
 */
export async function resolvePending(store: Store, resolver: AffiliationResolver, onProgress?: (done: number, total: number) => void): Promise<{ resolved: number; seconds: number }> {
  const started = performance.now();
  const version = await resolutionVersion(store);
  const pending = (
    await store.all<{ raw: string }>(
      `SELECT DISTINCT a.raw FROM (SELECT raw FROM affiliations UNION ALL SELECT name AS raw FROM patent_applicants) a
       WHERE a.raw <> '' AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.raw = a.raw AND r.resolver_version = $1)`,
      [version],
    )
  ).map((r) => r.raw);
  const chunk = 20_000;
  for (let i = 0; i < pending.length; i += chunk) {
    const part = pending.slice(i, i + chunk);
    const results = part.map((raw) => resolver.resolve(raw));
    await store.transaction(async () => {
      await store.run('CREATE TEMP TABLE IF NOT EXISTS stage_raw (raw VARCHAR)');
      await store.run('DELETE FROM stage_raw');
      const raws = await store.connection.createAppender('stage_raw');
      for (const raw of part) {
        raws.appendVarchar(raw);
        raws.endRow();
      }
      raws.closeSync();
      await store.run('DELETE FROM resolution_institutions WHERE raw IN (SELECT raw FROM stage_raw)');
      await store.run('DELETE FROM resolutions WHERE raw IN (SELECT raw FROM stage_raw)');
      const res = await store.connection.createAppender('resolutions');
      const inst = await store.connection.createAppender('resolution_institutions');
      for (const r of results) {
        res.appendVarchar(r.raw);
        res.appendVarchar(version);
        r.countryCode === null ? res.appendNull() : res.appendVarchar(r.countryCode);
        res.appendVarchar(r.countryEvidence);
        res.appendVarchar(r.tier);
        res.endRow();
        for (const m of r.institutions) {
          const rows = [{ rorId: m.rorId, evidence: m.evidence, primary: m.primary, unitOf: null as string | null }, ...m.units.map((u) => ({ rorId: u.rorId, evidence: `unit of ${m.name} named in the string`, primary: false, unitOf: m.rorId }))];
          for (const row of rows) {
            inst.appendVarchar(r.raw);
            inst.appendVarchar(row.rorId);
            inst.appendVarchar(m.tier);
            inst.appendDouble(m.score);
            inst.appendBoolean(row.primary);
            inst.appendVarchar(row.evidence);
            row.unitOf === null ? inst.appendNull() : inst.appendVarchar(row.unitOf);
            inst.endRow();
          }
        }
      }
      res.closeSync();
      inst.closeSync();
    });
    onProgress?.(Math.min(i + chunk, pending.length), pending.length);
  }
  return { resolved: pending.length, seconds: (performance.now() - started) / 1000 };
}

import { openAppDb } from '../appdb/open.ts';
import type { Config } from '../config.ts';
import { namesakeVerdicts } from '../exchange/service.ts';
import { out } from './io.ts';

// Apart from the exchange commands (src/cli/exchange.ts): `derisk screen` prints these, and loads
// only this and the application database, not what the exchange commands need (nor the regions).

/** What institutions decided about the hits of a screened string: printed beside them, never changing them. */
export async function namesakeInformation(config: Config, query: string, hits: { list: string; entryId: string; entry: string }[]) {
  if (hits.length === 0) return [];
  const db = await openAppDb(config);
  try {
    return await namesakeVerdicts(db, null, query, hits);
  } finally {
    await db.close();
  }
}

export function printNamesakeInformation(query: string, infos: Awaited<ReturnType<typeof namesakeInformation>>, hits: { list: string; entryId: string; entry: string }[]): void {
  for (const info of infos) {
    const hit = hits.find((h) => h.list === info.list && h.entryId === info.entryId);
    out.log(`\nInformation (the hit stands): ${info.institutions} institution${info.institutions === 1 ? '' : 's'} judged "${query}" not to be the listed entity ${hit?.entry ?? info.entryId} (${info.list}), with their reasons:`);
    for (const d of info.decisions) out.log(`  - ${d.institution}${d.publisher ? ` (via ${d.publisher})` : ''}, TLP:${d.tlp.toUpperCase()}: ${d.reason}`);
  }
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const AI_ACT_USES = fileURLToPath(new URL('../../data/assessment/ai-act-uses.json', import.meta.url));

export const TIERS = ['out-of-scope', 'minimal', 'limited', 'high', 'unacceptable'] as const;
export type Tier = (typeof TIERS)[number];

export interface AiUse {
  id: string;
  label: string;
  tier: Tier;
  cite: string;
  article?: number;
  annex?: string;
  quote: string;
  tags: string[];
}

export function loadAiUses(path = AI_ACT_USES): { uses: Map<string, AiUse>; provenance: Record<string, string> } {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  if (!doc.provenance?.source) throw new Error(`${path}: the AI Act use catalogue needs provenance`);
  const uses = new Map<string, AiUse>();
  for (const u of doc.uses) {
    if (!(TIERS as readonly string[]).includes(u.tier)) throw new Error(`${path}: use ${u.id}: unknown tier ${JSON.stringify(u.tier)}`);
    if (!u.cite || !u.quote || (u.article === undefined && u.annex === undefined)) throw new Error(`${path}: use ${u.id} must cite an article or annex and quote it`);
    uses.set(u.id, { ...u, tags: u.tags ?? [] });
  }
  return { uses, provenance: doc.provenance };
}

/** The regulation's articles and annexes as plain text, from the Official Journal's Formex XML. */
export function readRegulation(formexGz: string): { articles: Map<number, string>; annexes: Map<string, string> } {
  const xml = gunzipSync(readFileSync(formexGz)).toString('utf8');
  const plain = (s: string) =>
    s
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  const articles = new Map<number, string>();
  for (const m of xml.matchAll(/<ARTICLE IDENTIFIER="(\d+)">([\s\S]*?)<\/ARTICLE>/g)) articles.set(Number(m[1]), plain(m[2]!));
  const annexes = new Map<string, string>();
  for (const m of xml.matchAll(/<ANNEX[\s>][\s\S]*?<\/ANNEX>/g)) {
    const text = plain(m[0]);
    const id = /ANNEX ([IVXL]+)\b/.exec(text)?.[1];
    if (id) annexes.set(id, text);
  }
  return { articles, annexes };
}

/** Whether a citation's quoted words stand in the article or annex it cites. */
export function citationHolds(use: Pick<AiUse, 'article' | 'annex' | 'quote'>, regulation: ReturnType<typeof readRegulation>): boolean {
  const text = use.article !== undefined ? regulation.articles.get(use.article) : regulation.annexes.get(use.annex!);
  return text !== undefined && text.includes(use.quote);
}

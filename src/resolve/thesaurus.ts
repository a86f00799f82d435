import { cleanAffiliation, foldText } from './normalize.ts';

/**
 * A user's correction: "this string is that institution" (is), "it is not that one" (not), or "it
 * names no registry institution" (none, with an empty rorId), with who, when and why.
 */
export interface Correction {
  id: string;
  /** The string as the user saw it. */
  raw: string;
  /** What the correction applies to: every string with the same key (case, accents, punctuation and export noise aside). */
  key: string;
  rorId: string;
  verdict: CorrectionVerdict;
  reason: string;
  orgId: string;
  createdBy: string;
  /** The author's name beside their id, where this installation knows it (not for another organisation's or installation's). */
  createdByName?: string | null;
  createdAt: string;
}

export type CorrectionVerdict = 'is' | 'not' | 'none';

/** The key a correction is filed under: "Dept. Physics, Univ. X" and "DEPT PHYSICS UNIV X" share one. */
export const correctionKey = (raw: string): string => foldText(cleanAffiliation(raw).text.normalize('NFKC'));

/**
 * The corrections in force, consulted by the resolver before it matches anything (as VOSviewer
 * users keep a thesaurus file): an "is" or a "none" decides the string (the later of two wins, so
 * corrections are given oldest first), a "not" removes a candidate.
 */
export class Thesaurus {
  private readonly byKey = new Map<string, { decided: Correction | null; not: Correction[] }>();

  constructor(readonly corrections: readonly Correction[]) {
    for (const c of corrections) {
      const entry = this.byKey.get(c.key) ?? { decided: null, not: [] };
      if (c.verdict === 'not') entry.not.push(c);
      else entry.decided = c;
      this.byKey.set(c.key, entry);
    }
  }

  lookup(raw: string): { decided: Correction | null; not: Correction[] } | null {
    return this.byKey.size === 0 ? null : (this.byKey.get(correctionKey(raw)) ?? null);
  }

  get size(): number {
    return this.corrections.length;
  }
}

export const describeCorrection = (c: Correction): string => `corrected by ${c.createdBy} (${c.orgId}) on ${c.createdAt.slice(0, 10)}: ${c.reason}`;

/**
 * Whether a later correction of an organisation takes an earlier one's place on the same string:
 * of two that decide it (is, none) the later does, restating or not; "is X" and "not X" contradict
 * each other whichever came first; "not X" twice is said once. "Not X" beside "is Y" or "none" both
 * stay in force: they agree.
 */
export function supersedes(later: Pick<Correction, 'key' | 'verdict' | 'rorId'>, earlier: Pick<Correction, 'key' | 'verdict' | 'rorId'>): boolean {
  if (later.key !== earlier.key) return false;
  if (later.verdict !== 'not' && earlier.verdict !== 'not') return true;
  if (later.verdict === 'not' && earlier.verdict === 'not') return later.rorId === earlier.rorId;
  const [not, other] = later.verdict === 'not' ? [later, earlier] : [earlier, later];
  return other.verdict === 'is' && other.rorId === not.rorId;
}

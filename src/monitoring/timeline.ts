import { dateRange, type EntryDoc, type PartialDate } from './entry.ts';
import type { Vocabulary } from './vocabulary.ts';

/** Something that happened (or will happen) to a law, standard or initiative, on a date as precise as known. */
export interface TimelineEvent {
  date: PartialDate;
  entry: string;
  title: string;
  jurisdiction: string;
  type: string;
  kind: 'status' | 'issued' | 'published' | 'effective' | 'application';
  label: string;
  status?: string;
}

/**
 * The dated events of the entries, in date order: each status with a date, the issue,
 * publication and effective dates not already given as a status, and the dates from which
 * parts of an act apply. `from`/`to` keep the events whose date may fall in the range.
 */
export function timelineOf(entries: EntryDoc[], vocabulary: Vocabulary, range: { from?: string; to?: string } = {}): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const e of entries) {
    const base = { entry: e.id, title: e.title.short ?? e.title.en, jurisdiction: e.jurisdiction, type: e.type };
    const statusDates = new Set<string>();
    for (const s of e.status_history) {
      if (s.date === null) continue;
      statusDates.add(s.date);
      events.push({ ...base, date: s.date, kind: 'status', status: s.status, label: vocabulary.statuses.get(s.status)?.label ?? s.status });
    }
    for (const kind of ['issued', 'published', 'effective'] as const) {
      const d = e.dates[kind];
      if (d && !statusDates.has(d)) events.push({ ...base, date: d, kind, label: kind === 'effective' ? 'takes effect' : kind });
    }
    for (const a of e.application ?? []) events.push({ ...base, date: a.date, kind: 'application', label: `applies: ${a.scope}` });
  }
  return events
    .filter((ev) => {
      const [start, end] = dateRange(ev.date);
      return (!range.from || end >= range.from) && (!range.to || start <= range.to);
    })
    .sort((a, b) => sortKey(a.date).localeCompare(sortKey(b.date)) || a.entry.localeCompare(b.entry) || a.kind.localeCompare(b.kind));
}

// A date known to the year sits in the middle of it, so "2023" (adopted) comes after "2023-04" (draft).
const sortKey = (d: PartialDate) => (d.length === 10 ? d : d.length === 7 ? `${d}-15` : `${d}-07-01`);

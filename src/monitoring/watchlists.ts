import { randomUUID } from 'node:crypto';
import type { AppDb } from '../appdb/db.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize, NotFoundError, type Actor } from '../service/authorize.ts';
import { ValidationError } from '../errors.ts';

/** What can be watched: institutions (ROR), entries of the loaded risk lists, technology fields, countries, knowledge-base topics, stored cases. */
export const WATCH_KINDS = ['institution', 'list-entry', 'field', 'country', 'topic', 'case'] as const;
export type WatchKind = (typeof WATCH_KINDS)[number];

export interface WatchItem {
  id: string;
  kind: WatchKind;
  /** ROR id, `<list id>/<entry id>` (or, for a name screening matches to several entries, their JSON array), field id, ISO country code, topic id or case id. */
  ref: string;
  label: string;
  /** Of a list-entry item: every `<list id>/<entry id>` it covers. */
  entries?: string[];
  /** 'organisation': everyone in it sees the item and its alerts; 'user': only its owner. */
  scope: 'organisation' | 'user';
  createdBy: string;
  createdAt: string;
}

export class WatchError extends ValidationError {}

/** A subject named the way a person writes it, found in the registry, the lists or the vocabularies. */
export interface Found {
  kind: WatchKind;
  ref: string;
  label: string;
}

/**
 * Finds what a name or an id denotes. Kept apart from the watchlist so the core does not know
 * where the registry and the lists live (the evidence store, or a test's fixtures).
 */
export interface SubjectFinder {
  /** Every subject of that kind the text names exactly (a ROR id, a registry name, a field, a country, a topic), or every list entry screening matches it to. */
  find(kind: WatchKind, text: string): Promise<Found[]>;
}

/** A request to watch something (its schema: ./watch-request.ts). */
export interface AddRequest {
  text: string;
  /** What the text names; without it, an institution if the registry knows it, else a list entry. */
  kind?: WatchKind;
  scope?: 'organisation' | 'user';
}

/** A case the organisation ($1) owns or that is shared with it. */
const CASE_VISIBLE = '(c.org_id = $1 OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_id = $1))';
/** The label of a watched case the watcher may no longer read (unshared or deleted): nothing of it is shown. */
const UNREADABLE_CASE = 'a case your organisation can no longer read';

type Row = { id: string; kind: WatchKind; ref: string; label: string; user_id: string; created_by: string; created_at: string };
const item = (r: Row): WatchItem => ({ id: r.id, kind: r.kind, ref: r.ref, label: r.label, ...(r.kind === 'list-entry' ? { entries: listEntryRefs(r.ref) } : {}), scope: r.user_id === '' ? 'organisation' : 'user', createdBy: r.created_by, createdAt: r.created_at });

/** The `<list id>/<entry id>` refs a list-entry item covers. A list id never starts with "[", so a JSON array of them reads apart from one ref. */
export const listEntryRefs = (ref: string): string[] => (ref.startsWith('[') ? (JSON.parse(ref) as string[]) : [ref]);

/**
 * One item for every entry a name denotes: an officer watching "Huawei" means each listing screening would report for
 * that name, not one of them picked. Sorted, so the same entries are the same item however they were found.
 */
function coveringEntries(text: string, found: Found[]): Found {
  const entries = [...found].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { kind: 'list-entry', ref: JSON.stringify(entries.map((f) => f.ref)), label: `${text}: ${entries.map((f) => f.label).join('; ')}` };
}

/**
 * Watchlists of an organisation and of each of its users. Roles and organisations are checked
 * here, whichever door the call came through: anyone may keep a watchlist of their own, an
 * analyst (and up) changes the organisation's; nobody sees another organisation's items.
 */
export class Watchlists {
  constructor(
    private readonly db: AppDb,
    private readonly finder: SubjectFinder,
  ) {}

  async add(actor: Actor, request: AddRequest): Promise<{ item: WatchItem; created: boolean }> {
    // The schema (TypeBox) and the reading of names are loaded by the call that needs them: listing or removing items, and the alerts, do without.
    const [{ checkSchema }, { WatchRequest }, { asTyped }] = await Promise.all([import('../schema.ts'), import('./watch-request.ts'), import('../resolve/normalize.ts')]);
    checkSchema(WatchRequest, request, (m) => new WatchError(m), 'the watch request');
    const scope = request.scope ?? 'organisation';
    authorize(actor, scope === 'organisation' ? 'watch.organisation' : 'watch.own');
    const text = asTyped(request.text);
    // Read as typed, the text may be longer than the schema measured (NFKC), or nothing but invisible characters.
    if (text === '' || text.length > 300) throw new WatchError('give a name or an id to watch (at most 300 characters)');
    const found = request.kind === 'case' ? await this.visibleCase(actor, text) : await this.resolve(request.kind, text);
    const userId = scope === 'organisation' ? '' : actor.userId;
    return this.db.transaction(async (tx) => {
      const existing = (await tx.query<Row>('SELECT * FROM watch_items WHERE org_id = $1 AND user_id = $2 AND kind = $3 AND ref = $4', [actor.orgId, userId, found.kind, found.ref]))[0];
      if (existing) return { item: item(existing), created: false };
      const row: Row = { id: randomUUID(), kind: found.kind, ref: found.ref, label: found.label, user_id: userId, created_by: actor.userId, created_at: new Date().toISOString() };
      await tx.query('INSERT INTO watch_items (id, org_id, user_id, kind, ref, label, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [row.id, actor.orgId, userId, row.kind, row.ref, row.label, row.created_by, row.created_at]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'watch.add', target: row.id, detail: { kind: row.kind, ref: row.ref, scope }, rows: [['watch_items', row.id]] });
      return { item: item(row), created: true };
    });
  }

  /**
   * The organisation's items and the actor's own. A case's label is its title as the watcher may
   * read it now: the label kept from when it was added would still name a case renamed since, or
   * one its owner has stopped sharing with the watcher's organisation.
   */
  async list(actor: Actor): Promise<WatchItem[]> {
    authorize(actor, 'watch.read');
    const rows = await this.db.query<Row & { case_title: string | null }>(
      `SELECT w.*, (SELECT c.title FROM cases c WHERE w.kind = 'case' AND c.id = w.ref AND ${CASE_VISIBLE}) AS case_title
       FROM watch_items w WHERE w.org_id = $1 AND (w.user_id = '' OR w.user_id = $2) ORDER BY w.created_at, w.id`,
      [actor.orgId, actor.userId],
    );
    return rows.map(({ case_title, ...r }) => item(r.kind === 'case' ? { ...r, label: case_title ?? UNREADABLE_CASE } : r));
  }

  /** Another organisation's item, or another user's own, answers like one that does not exist. */
  async remove(actor: Actor, id: string): Promise<void> {
    authorize(actor, 'watch.read');
    await this.db.transaction(async (tx) => {
      const row = (await tx.query<Row>("SELECT * FROM watch_items WHERE id = $1 AND org_id = $2 AND (user_id = '' OR user_id = $3)", [id, actor.orgId, actor.userId]))[0];
      if (!row) throw new NotFoundError(`no watch item ${id}`);
      authorize(actor, row.user_id === '' ? 'watch.organisation' : 'watch.own');
      await tx.query('DELETE FROM watch_items WHERE id = $1', [id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'watch.remove', target: id, detail: { kind: row.kind, ref: row.ref }, rows: [['watch_items', id]] });
    });
  }

  private async resolve(kind: WatchKind | undefined, text: string): Promise<Found> {
    const kinds: WatchKind[] = kind ? [kind] : ['institution', 'list-entry'];
    for (const k of kinds) {
      const found = await this.finder.find(k, text);
      if (found.length === 1) return found[0]!;
      if (found.length > 1 && k === 'list-entry') return coveringEntries(text, found);
      if (found.length > 1)
        throw new WatchError(
          `"${text}" names ${found.length} ${k}s: ${found
            .slice(0, 5)
            .map((f) => `${f.label} (${f.ref})`)
            .join(', ')}; give the id`,
        );
    }
    throw new WatchError(`"${text}" names no ${kinds.join(' and no ')} derisk knows${kind ? '' : ' (give --kind field|country|topic|case for those)'}`);
  }

  private async visibleCase(actor: Actor, id: string): Promise<Found> {
    const row = (await this.db.query<{ id: string; title: string }>(`SELECT c.id, c.title FROM cases c WHERE c.id = $2 AND ${CASE_VISIBLE}`, [actor.orgId, id]))[0];
    if (!row) throw new NotFoundError(`no case ${id}`);
    return { kind: 'case', ref: row.id, label: row.title };
  }
}

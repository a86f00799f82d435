import { parseArgs } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import type { AppDb } from '../appdb/db.ts';
import { loadConfig } from '../config.ts';
import { stripRorPrefix } from '../ingest/records.ts';
import { MatchCorrections, type StoredCorrection } from '../resolve/corrections.ts';
import { originText } from '../exchange/service.ts';
import type { AffiliationResolver } from '../resolve/matcher.ts';
import { applyCorrections, viewsReachedBy, viewsReading } from '../resolve/org-view.ts';
import { Thesaurus, type CorrectionVerdict } from '../resolve/thesaurus.ts';
import type { Store } from '../store/store.ts';
import { cliActor } from './admin.ts';
import { COMMON, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { out } from './io.ts';

export const MATCH_USAGE = `derisk match correct "<string>" <ROR id|none> --reason T [--not] [--org O]
                                   "this string is that institution" (with --not: "is not that one"; none: "names no registry institution")
  derisk match list [--org O] [--json]             the organisation's corrections (in force, superseded or withdrawn; who made each), with how far
                                                   each is shared, then those other organisations shared with it
  derisk match withdraw <id> --reason T [--org O]  one of the organisation's corrections in force stops applying (it stays listed, withdrawn),
                                                   to it and to the organisations it was shared with (their views rebuilt too); audited
  derisk match resolve "<string>" [--org O] [--json]   the string resolved with the organisation's corrections (and those shared with it)
  derisk match apply [--org O]                     resolve again the strings the organisation's corrections decide and count their works again,
                                                   in its view only (match correct, accept, reject and exchange share do this themselves)
  derisk match received [--org O] [--json]         corrections other installations' feeds brought (derisk exchange pull), and whether the organisation accepted each
  derisk match accept <uuid> [--org O]             take one into the organisation's corrections in force (below its own) and apply it to its view
  derisk match reject <uuid> --reason T [--org O]  not for the organisation (an accepted one is withdrawn and its view rebuilt); audited
  (share one with other organisations: derisk exchange share correction <id> --distribution community --tlp green)`;

const OPTIONS = { ...COMMON, reason: { type: 'string' }, not: { type: 'boolean' }, org: { type: 'string' } } as const;

/** The resolver of the store, read like the server's (src/screening/store.ts), loaded only by the commands that resolve. */
async function resolverOf(store: Store): Promise<AffiliationResolver> {
  const { storeResolver } = await import('../screening/store.ts');
  return storeResolver(store);
}

/** The organisation's view of the evidence rebuilt from the corrections in force for it. */
async function applyFor(config: ReturnType<typeof loadConfig>, corrections: MatchCorrections, org: string): Promise<{ strings: number; works: number }> {
  const inForce = await corrections.inForce(org);
  return withStore(config, async (store) => {
    const resolver = await resolverOf(store);
    return applyCorrections(store, org, inForce, (raws, cs) => {
      const thesaurus = new Thesaurus(cs);
      return raws.map((raw) => resolver.resolve(raw, thesaurus));
    });
  });
}

/**
 * The organisation's view rebuilt, and then those of the organisations the `ended` corrections
 * (withdrawn, superseded) were shared with, so that none reads through them any longer.
 */
async function applyEndedFor(config: ReturnType<typeof loadConfig>, corrections: MatchCorrections, org: string, ended: string[]): Promise<{ strings: number; works: number; othersRebuilt: boolean }> {
  const applied = await applyFor(config, corrections, org);
  for (const other of await withStore(config, (store) => viewsReading(store, ended))) await applyFor(config, corrections, other);
  return { ...applied, othersRebuilt: await corrections.sharedBeyond(org, ended) };
}

/**
 * The views that read `changed` corrections (unshared, retracted by their publisher), or should
 * (shared with their organisation), rebuilt from what is in force for each organisation now; a
 * server running beside also checks before each read.
 */
export async function rebuildViewsReached(config: ReturnType<typeof loadConfig>, db: AppDb, changed: readonly string[]): Promise<void> {
  if (changed.length === 0) return;
  const corrections = new MatchCorrections(db, () => undefined);
  for (const org of await withStore(config, (store) => viewsReachedBy(store, corrections, changed))) await applyFor(config, corrections, org);
}

/** One line of `match list`: what it says, whether it is in force, who made it (name and id) or which organisation shared it. */
const describeStored = (c: StoredCorrection): string => {
  const state = c.state === 'withdrawn' ? `withdrawn ${c.withdrawal!.at.slice(0, 10)} by ${c.withdrawal!.byName ?? c.withdrawal!.by}: ${c.withdrawal!.reason}` : c.state === 'superseded' ? `superseded by ${c.supersededBy}` : 'in force';
  const who = c.sharedBy ? `shared by ${c.sharedBy.name} (${c.sharedBy.org})` : c.createdByName ? `${c.createdByName} (${c.createdBy})` : c.createdBy;
  return `${c.id}  ${c.verdict.padEnd(4)} ${(c.rorId || '-').padEnd(9)}  ${c.distribution}/TLP:${c.tlp.toUpperCase()}  "${c.raw}"  ${who} ${c.createdAt.slice(0, 10)}: ${c.reason}  [${state}]`;
};

const describeApplied = (a: { strings: number; works: number; othersRebuilt?: boolean }, org: string) =>
  `applied to ${org}'s view of the evidence: ${a.strings} string(s) answered differently, ${a.works} work(s) counted differently` + (a.othersRebuilt ? `; the views of the organisations it was shared with were rebuilt too (their counts are theirs)` : ` (no other organisation's)`);

export async function matchCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'match', allowPositionals: true, takes: { correct: 2, list: 0, resolve: 1, received: 0, accept: 1, reject: 1, withdraw: 1, apply: 0 }, options: OPTIONS });
  const [sub, ...args] = positionals;
  if (values.help) {
    out.log(`Usage:\n  ${MATCH_USAGE}`);
    return EXIT.ok;
  }
  const config = loadConfig();
  const org = values.org ?? 'local';
  switch (sub) {
    case 'correct': {
      const [raw, target] = args;
      if (args.length !== 2 || !raw || !target || !values.reason) throw new UsageError('match correct needs "<string>" <ROR id|none> --reason TEXT');
      const none = target.toLowerCase() === 'none';
      if (none && values.not) throw new UsageError('match correct: --not takes a ROR id ("is not that one"), not none');
      const verdict: CorrectionVerdict = none ? 'none' : values.not ? 'not' : 'is';
      const rorId = none ? null : stripRorPrefix(target);
      const name = rorId === null ? null : await withStore(config, async (store) => (await store.one<{ name: string }>('SELECT name FROM institutions WHERE ror_id = $1', [rorId]))?.name ?? null);
      const db = await openAppDb(config);
      try {
        const corrections = new MatchCorrections(db, (id) => (id === rorId && name !== null ? { name } : undefined));
        const c = await corrections.correct(await cliActor(db, org), { raw, verdict, rorId, reason: values.reason });
        const applied = await applyEndedFor(config, corrections, org, c.supersedes);
        if (values.json) out.log(JSON.stringify({ ...c, applied }, null, 2));
        else out.log(`${c.id}  "${raw}" ${verdict === 'none' ? 'names no registry institution' : `${verdict === 'is' ? 'is' : 'is not'} ${name} (${c.rorId})`}, for ${org}\n${describeApplied(applied, org)}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'list': {
      const db = await openAppDb(config);
      try {
        const list = await new MatchCorrections(db, () => undefined).list(await cliActor(db, org));
        if (values.json) out.log(JSON.stringify(list, null, 2));
        else for (const c of list) out.log(describeStored(c));
        if (!values.json && list.length === 0) out.log(`no corrections for ${org}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'resolve': {
      if (args.length !== 1) throw new UsageError('match resolve needs "<string>"');
      const db = await openAppDb(config);
      try {
        await cliActor(db, org);
        const thesaurus = await new MatchCorrections(db, () => undefined).thesaurusFor(org);
        const r = await withStore(config, async (store) => (await resolverOf(store)).resolve(args[0]!, thesaurus));
        if (values.json) out.log(JSON.stringify(r, null, 2));
        else {
          out.log(`${r.tier}; country ${r.countryCode ?? 'unknown'} (${r.countryEvidence})`);
          for (const m of r.institutions) out.log(`  ${m.primary ? '*' : ' '} ${m.name} (${m.rorId}, ${m.countryCode ?? '?'}) ${m.tier} ${m.score}: ${m.evidence}`);
          for (const c of r.companies ?? []) out.log(`  company ${c.name}${c.lab ? ` (${c.lab})` : ''}, ${c.countryCode ?? 'country unknown'}: ${c.evidence}`);
        }
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'received': {
      const db = await openAppDb(config);
      try {
        const list = await new MatchCorrections(db, () => undefined).receivedFor(await cliActor(db, org));
        if (values.json) out.log(JSON.stringify(list, null, 2));
        else
          for (const r of list) {
            out.log(
              `${r.uuid}  ${r.retractedAt ? `retracted ${r.retractedAt.slice(0, 10)} (applies to nobody)` : (r.decision?.state ?? 'undecided')}  ${r.signed ? 'signed' : 'unsigned'}  ${r.correction.verdict.padEnd(4)} ${(r.correction.rorId || '-').padEnd(9)}  "${r.correction.raw}"  ${originText(r)} via ${r.publisher}, TLP:${r.tlp.toUpperCase()}: ${r.correction.reason}`,
            );
            const x = r.retraction;
            if (x) out.log(`  retracted ${x.at.slice(0, 10)} by ${x.by} via ${x.via}${x.takenIn ? `, taken in by the ${x.takenIn} on ${x.takenAt!.slice(0, 10)}` : ''}: ${x.why}`);
          }
        if (!values.json && list.length === 0) out.log('no corrections received from feeds (derisk exchange pull brings them)');
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'accept': {
      if (args.length !== 1) throw new UsageError('match accept needs the uuid of a received correction (derisk match received lists them)');
      const db = await openAppDb(config);
      try {
        const registry = await withStore(config, async (store) => new Set((await store.all<{ ror_id: string }>('SELECT ror_id FROM institutions')).map((r) => r.ror_id)));
        const corrections = new MatchCorrections(db, (id) => (registry.has(id) ? { name: id } : undefined));
        const r = await corrections.accept(await cliActor(db, org), args[0]!);
        const applied = await applyFor(config, corrections, org);
        if (values.json) out.log(JSON.stringify({ ...r, applied }, null, 2));
        else out.log(`accepted ${r.uuid} ("${r.correction.raw}" ${r.correction.verdict}${r.correction.rorId ? ` ${r.correction.rorId}` : ''}, from ${originText(r)} via ${r.publisher}) for ${org}\n${describeApplied(applied, org)}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'reject': {
      if (args.length !== 1 || !values.reason) throw new UsageError('match reject needs the uuid of a received correction (derisk match received lists them) and --reason TEXT');
      const db = await openAppDb(config);
      try {
        const corrections = new MatchCorrections(db, () => undefined);
        const r = await corrections.reject(await cliActor(db, org), args[0]!, values.reason);
        const applied = await applyFor(config, corrections, org);
        if (values.json) out.log(JSON.stringify({ ...r, applied }, null, 2));
        else out.log(`rejected ${r.uuid} ("${r.correction.raw}" ${r.correction.verdict}${r.correction.rorId ? ` ${r.correction.rorId}` : ''}, from ${originText(r)} via ${r.publisher}) for ${org}\n${describeApplied(applied, org)}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'withdraw': {
      if (args.length !== 1 || !values.reason) throw new UsageError("match withdraw needs the id of one of the organisation's corrections (derisk match list shows them) and --reason TEXT");
      const db = await openAppDb(config);
      try {
        const corrections = new MatchCorrections(db, () => undefined);
        const c = await corrections.withdraw(await cliActor(db, org), args[0]!, values.reason);
        const applied = await applyEndedFor(config, corrections, org, [c.id]);
        if (values.json) out.log(JSON.stringify({ ...c, applied }, null, 2));
        else out.log(`withdrawn: ${describeStored(c)}\n${describeApplied(applied, org)}`);
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    case 'apply': {
      const db = await openAppDb(config);
      try {
        await cliActor(db, org);
        const applied = await applyFor(config, new MatchCorrections(db, () => undefined), org);
        out.log(values.json ? JSON.stringify(applied, null, 2) : describeApplied(applied, org));
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }
    default:
      throw new UsageError(MATCH_USAGE);
  }
}

import { out } from './io.ts';
import { parseArgs } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import { loadConfig, type Config } from '../config.ts';
import { AlertInbox, type AlertView } from '../monitoring/alerts.ts';
import type { CheckReport } from '../monitoring/monitor.ts';
import { DATA_KIND_LISTS, findInData, isDataKind, StoreSubjects } from '../monitoring/subjects.ts';
import { WATCH_KINDS, Watchlists, type WatchKind } from '../monitoring/watchlists.ts';
import type { Store } from '../store/store.ts';
import { cliActor } from './admin.ts';
import { COMMON, connectEvidenceCluster, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { oneOf } from './option-values.ts';
import { render } from './output.ts';

export const WATCH_USAGE = `derisk watch add <name|ROR id> [--kind ${WATCH_KINDS.join('|')}] [--org ID]   watch it for the organisation
  derisk watch list [--json] [--org ID]
  derisk watch remove <id> [--org ID]`;

export const ALERTS_USAGE = `derisk alerts [--unread] [--json] [--org ID]   the organisation's alerts, newest first: [{id, kind, created_at, title, subject, evidence, link}]
  derisk alerts check [--json]                 look now for what changed (done after every ingest and list load, and by derisk serve)
  derisk alerts read <id> [--org ID]           mark an alert read`;

/** derisk watch …: the organisation's watchlist, at the console. */
export async function watchCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'watch', allowPositionals: true, takes: { add: 1, list: 0, remove: 1 }, options: { ...COMMON, kind: { type: 'string' }, org: { type: 'string' } }, checks: { kind: oneOf(WATCH_KINDS) } });
  const [sub, ...args] = positionals;
  if (!sub || values.help) {
    out.log(`Usage:\n  ${WATCH_USAGE}`);
    return sub || values.help ? EXIT.ok : EXIT.usage;
  }
  // A field, country or topic derisk does not list is a mistake in the command line, told before the databases are opened.
  if (sub === 'add' && args.length === 1 && values.kind && isDataKind(values.kind) && findInData(values.kind, args[0]!).length === 0) {
    throw new UsageError(`--kind ${values.kind}: ${JSON.stringify(args[0])} is no ${values.kind} derisk knows; give ${DATA_KIND_LISTS[values.kind]}`);
  }
  const config = loadConfig();
  const db = await openAppDb(config);
  try {
    const actor = await cliActor(db, values.org ?? 'local');
    switch (sub) {
      case 'add': {
        if (args.length !== 1) throw new UsageError('watch add takes one name or id (quote a name with spaces)');
        const { item, created } = await withStore(config, (store) => new Watchlists(db, new StoreSubjects(store)).add(actor, { text: args[0]!, ...(values.kind ? { kind: values.kind as WatchKind } : {}) }));
        if (values.json) out.log(JSON.stringify(item, null, 2));
        else out.log(`${created ? 'watching' : 'already watching'} ${item.kind} ${item.label} (${(item.entries ?? [item.ref]).join(', ')})  [${item.id}]`);
        return EXIT.ok;
      }
      case 'list': {
        // Listing reads the application database only: it works while derisk serve holds the store.
        const items = await new Watchlists(db, { find: async () => [] }).list(actor);
        if (values.json) out.log(JSON.stringify(items, null, 2));
        else if (items.length === 0) out.log('nothing watched yet: derisk watch add <name|ROR id>');
        else
          out.log(
            render(
              items.map((i) => ({ id: i.id, kind: i.kind, ref: i.ref, label: i.label, scope: i.scope, since: i.createdAt.slice(0, 10) })),
              'table',
            ),
          );
        return EXIT.ok;
      }
      case 'remove': {
        if (args.length !== 1) throw new UsageError('watch remove <id>');
        await new Watchlists(db, { find: async () => [] }).remove(actor, args[0]!);
        out.log(`no longer watching ${args[0]}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown watch command ${JSON.stringify(sub)}: use add, list or remove`);
    }
  } finally {
    await db.close();
  }
}

/** derisk alerts …: the organisation's alerts at the console. */
export async function alertsCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'alerts', allowPositionals: true, takes: { check: 0, read: 1 }, options: { ...COMMON, unread: { type: 'boolean' }, org: { type: 'string' } } });
  const [sub, ...args] = positionals;
  if (values.help) {
    out.log(`Usage:\n  ${ALERTS_USAGE}`);
    return EXIT.ok;
  }
  const config = loadConfig();
  if (sub === 'check') {
    const report = await withStore(config, (store) => checkAlerts(store, config, 'quiet'));
    if (values.json) out.log(JSON.stringify(report, null, 2));
    else printReport(report);
    return EXIT.ok;
  }
  const db = await openAppDb(config);
  try {
    const actor = await cliActor(db, values.org ?? 'local');
    const inbox = new AlertInbox(db, {}, config.publicUrl);
    if (sub === 'read') {
      if (args.length !== 1) throw new UsageError('alerts read <id>');
      await inbox.mark(actor, args[0]!, true);
      return EXIT.ok;
    }
    if (sub !== undefined) throw new UsageError(`unknown alerts command ${JSON.stringify(sub)}: use check or read, or no command to list`);
    const alerts = await inbox.list(actor, { unread: values.unread });
    if (values.json)
      out.log(
        JSON.stringify(
          alerts.map(({ read: _read, ...contract }: AlertView) => contract),
          null,
          2,
        ),
      );
    else if (alerts.length === 0) out.log(values.unread ? 'no unread alerts' : 'no alerts yet');
    else for (const a of alerts) out.log(`${a.read ? ' ' : '*'} ${a.created_at.slice(0, 16).replace('T', ' ')}  ${a.kind.padEnd(17)} ${a.title}\n    ${a.link}  [${a.id}]`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

function printReport(r: CheckReport): void {
  const kinds = Object.entries(r.alerts);
  out.error(
    `alerts: ${kinds.length === 0 ? 'nothing new' : kinds.map(([k, n]) => `${n} ${k}`).join(', ')} (${r.files} evidence file(s), ${r.lists} list version(s) looked at${r.reassessed ? `, ${r.reassessed} verdict(s) re-checked` : ''}${r.deferred ? `; ${r.deferred} file(s) wait for resolving and screening` : ''})`,
  );
}

/** One pass of the monitor over the store at the console (after an ingest or a list load, or `derisk alerts check`). */
export async function checkAlerts(store: Store, config: Config, quiet: 'quiet' | 'when-new' | 'always' = 'always'): Promise<CheckReport> {
  // Loaded here, not at start-up, and the rulebook and the assessor (TypeBox's compiler, YAML: about
  // 1 s of CPU) only when there are verdicts to re-check: every `derisk ingest` runs a pass.
  const { Monitor } = await import('../monitoring/monitor.ts');
  const assessor = async () => {
    const [{ loadBundle }, { buildAssessor }] = await Promise.all([import('../assessment/bundle.ts'), import('./assessment.ts')]);
    return buildAssessor(store, loadBundle(), clickhouse);
  };
  const db = await openAppDb(config);
  // With DERISK_EVIDENCE_URL the verdicts are re-checked over the cluster, as the server's monitor and derisk assess read them.
  const clickhouse = await connectEvidenceCluster(config);
  try {
    const report = await new Monitor({ db, store, assessor }).check();
    if (quiet === 'always' || (quiet === 'when-new' && Object.keys(report.alerts).length > 0)) printReport(report);
    return report;
  } finally {
    await clickhouse?.close();
    await db.close();
  }
}

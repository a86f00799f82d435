import { at, invocation, out } from './io.ts';
import { readFileBytes, writableFile, writeTextFile } from '../text-file.ts';
import { parseArgs, type Takes } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import type { AppDb } from '../appdb/db.ts';
import { loadConfig, type Config } from '../config.ts';
import { feedIdentity, keyIdOf, publisherOf, recipientOf, writeFeed } from '../exchange/feed.ts';
import { DISTRIBUTIONS, ExchangeError, EXPORTABLE_TLPS, parseDistribution, parseTlp, TLPS, unrestricted, type ExportableTlp, type Tlp } from '../exchange/marking.ts';
import { ftmJsonLines, ftmOutgoingEntities, storeRegistry } from '../exchange/ftm.ts';
import { mispEvents } from '../exchange/misp.ts';
import { isFeedUrl, parseFeedOrigins } from '../exchange/origins.ts';
import { ExchangeService, findListEntry, IMPORT_MAX_BYTES, ITEM_KINDS, originText, RESTRICTABLE, type ItemKind, type Outgoing, type Subject } from '../exchange/service.ts';
import { stixBundle } from '../exchange/stix.ts';
import { EUROPE } from '../regions/countries.ts';
import type { RiskList } from '../screening/lists.ts';
import { cliActor } from './admin.ts';
import { COMMON, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { oneOf, whole } from './option-values.ts';

export const EXCHANGE_USAGE = `derisk exchange keys [--publisher NAME]          this installation's feed key (Ed25519; made on first use) and publisher name
  derisk exchange note --entry LIST/ENTRY|--ror ID|--name S --text T [--opinion 0-100] [--org O]   a note on an entity
  derisk exchange namesake "<string>" --entry LIST/ENTRY --reason T [--org O]    "this string is not that listed entity"
  derisk exchange share note|namesake|assessment|correction <id> --distribution organisation|community|everyone --tlp clear|green|amber|amber+strict|red [--org O]
  derisk exchange restrict note|namesake|correction <id> --to "NAME=ed25519:…|NAME=<MISP org UUID>" [--to …] | --none [--org O]   (admin) only these partner institutions: a MISP sharing group
  derisk exchange items [--org O] [--json]         the organisation's notes, decisions and verdicts with how far each may travel
  derisk exchange export --format misp|stix|ftm --out FILE [--tlp clear|green|amber|amber+strict] [--audience community|everyone] [--k N]
  derisk exchange ftm-partners [--out FILE] [--org O]   (admin) the organisation's cases and their partners as FollowTheMoney, one entity a line (as GET /api/exchange/ftm/partners)
  derisk exchange publish <dir> [--tlp …] [--audience …] [--k N] [--sequence-after N]   a signed static feed (MISP feed layout, manifest.json signed); --sequence-after: numbered above N (after a restore, the last sequence a partner took)
  derisk exchange subscribe <url|dir> --key ed25519:…              trust a feed signed with that key
  derisk exchange pull [--json]                    take what every subscribed feed published since the last pull (the server can pull on a schedule: POST /api/exchange/subscriptions with every)
  derisk exchange import FILE --format stix|misp --from NAME [--org O]   (admin) the match corrections a STIX 2.1 bundle or MISP event another institution sent carries, as the organisation's received items, as received items (derisk match received / accept)
  derisk exchange received [--org O] [--json]      what feeds (and the organisation's imports) brought in, with publisher, key and time`;

const OPTIONS = {
  ...COMMON,
  publisher: { type: 'string' },
  entry: { type: 'string' },
  ror: { type: 'string' },
  name: { type: 'string' },
  text: { type: 'string' },
  opinion: { type: 'string' },
  reason: { type: 'string' },
  org: { type: 'string' },
  distribution: { type: 'string' },
  tlp: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  audience: { type: 'string' },
  k: { type: 'string' },
  key: { type: 'string' },
  to: { type: 'string', multiple: true },
  from: { type: 'string' },
  none: { type: 'boolean' },
  'sequence-after': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; command: string; takes: Takes }>>['values'];

async function withService<T>(config: Config, work: (service: ExchangeService, db: AppDb) => Promise<T>): Promise<T> {
  const db = await openAppDb(config);
  try {
    return await work(new ExchangeService(db, EUROPE, parseFeedOrigins(config.exchangeAllow)), db);
  } finally {
    await db.close();
  }
}

/** The lists loaded in the store (none if the store has none): entries named by notes and decisions are checked against them. */
async function loadedListsOf(config: Config): Promise<RiskList[]> {
  const { loadedLists } = await import('../screening/store.ts');
  return withStore(config, (store) => loadedLists(store));
}

function findEntry(lists: RiskList[], key: string): ReturnType<typeof findListEntry> {
  try {
    return findListEntry(lists, key);
  } catch (e) {
    throw e instanceof ExchangeError ? new UsageError(`--${e.message}`) : e;
  }
}

function outgoingOptions(values: Values, to: 'feed' | 'file'): { maxTlp: ExportableTlp; audience: 'community' | 'everyone'; k?: number; to: 'feed' | 'file' } {
  const maxTlp = parseTlp(values.tlp ?? 'green', '--tlp');
  if (!(EXPORTABLE_TLPS as readonly string[]).includes(maxTlp)) throw new UsageError('--tlp red: TLP:RED never leaves the installation; use clear, green, amber or amber+strict');
  const audience = (values.audience ?? 'community') as 'community' | 'everyone';
  // The installation's k (data/exchange/policy.json) unless a higher one is asked for: the service refuses a lower one.
  const k = values.k === undefined ? undefined : Number(values.k);
  return { maxTlp: maxTlp as ExportableTlp, audience, k, to };
}

function printOutgoing(outgoing: Outgoing): void {
  out.log(`${outgoing.notes.length} notes, ${outgoing.namesakes.length} namesake decisions, ${outgoing.assessments.length} anonymised assessments, ${outgoing.corrections.length} match corrections`);
  if (outgoing.heldBack.groups > 0) out.log(`held back: ${outgoing.heldBack.assessments} assessments of ${outgoing.heldBack.groups} partner groups where fewer than ${outgoing.heldBack.k} organisations besides any one of them assessed`);
  if (outgoing.keptAsReleased > 0) out.log(`kept as last released: ${outgoing.keptAsReleased} partner groups, whose verdicts changed since by fewer than ${outgoing.heldBack.k} organisations besides any one of them`);
}

export async function exchangeCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'exchange',
    allowPositionals: true,
    takes: { keys: 0, note: 0, namesake: 1, share: 2, restrict: 2, items: 0, export: 0, 'ftm-partners': 0, publish: 1, subscribe: 1, pull: 0, import: 1, received: 0 },
    options: OPTIONS,
    checks: {
      tlp: (v) => (TLPS.includes(v.trim().toLowerCase().replace(/^tlp:/, '') as Tlp) ? null : `is not a TLP 2.0 marking (${TLPS.join(', ')})`),
      distribution: oneOf(DISTRIBUTIONS),
      audience: oneOf(['community', 'everyone']),
      format: oneOf(['misp', 'stix', 'ftm']),
      k: whole(1),
      opinion: whole(0, 100),
      'sequence-after': whole(0, Number.MAX_SAFE_INTEGER, 'a sequence number'),
    },
  });
  const [sub, ...args] = positionals;
  if (values.help) {
    out.log(`Usage:\n  ${EXCHANGE_USAGE}`);
    return EXIT.ok;
  }
  const config = loadConfig();
  switch (sub) {
    case 'keys': {
      const id = feedIdentity(config.home, values.publisher);
      if (values.json) out.log(JSON.stringify(id, null, 2));
      else out.log(`publisher: ${id.publisher}\nkey: ${id.publicKey}\nkey id: ${id.keyId}\n(subscribers run: derisk exchange subscribe <your feed's URL or directory> --key ${id.publicKey})`);
      return EXIT.ok;
    }
    case 'note': {
      if (!values.text) throw new UsageError('exchange note needs --text');
      const given = [values.entry, values.ror, values.name].filter((v) => v !== undefined).length;
      if (given !== 1) throw new UsageError('exchange note needs one of --entry LIST/ENTRY, --ror ID or --name S');
      let subject: Subject;
      if (values.entry) {
        const { list, entry } = findEntry(await loadedListsOf(config), values.entry);
        subject = { kind: 'entry', value: `${list.id}/${entry.id}`, label: entry.name };
      } else if (values.ror) {
        const ror = values.ror.replace(/^https?:\/\/ror\.org\//, '');
        if (!/^0[a-z0-9]{6}\d{2}$/.test(ror)) throw new UsageError(`--ror: ${JSON.stringify(values.ror)} is not a ROR id`);
        subject = { kind: 'ror', value: ror, label: ror };
      } else subject = { kind: 'name', value: values.name!, label: values.name! };
      const opinion = values.opinion === undefined ? null : Number(values.opinion);
      return withService(config, async (service, db) => {
        out.log(await service.addNote(await cliActor(db, values.org ?? 'local'), subject, values.text!, opinion));
        return EXIT.ok;
      });
    }
    case 'namesake': {
      if (args.length !== 1 || !values.entry || !values.reason) throw new UsageError('exchange namesake needs "<string>" --entry LIST/ENTRY --reason TEXT');
      const { list, entry } = findEntry(await loadedListsOf(config), values.entry);
      return withService(config, async (service, db) => {
        out.log(await service.decideNamesake(await cliActor(db, values.org ?? 'local'), { name: args[0]!, listId: list.id, entryId: entry.id, entryName: entry.name, reason: values.reason! }));
        return EXIT.ok;
      });
    }
    case 'share': {
      const [kind, id] = args;
      if (!kind || !id || !(ITEM_KINDS as readonly string[]).includes(kind)) throw new UsageError(`exchange share needs ${ITEM_KINDS.join('|')} <id>`);
      if (!values.distribution || !values.tlp) throw new UsageError(`exchange share needs --distribution (${DISTRIBUTIONS.join(', ')}) and --tlp`);
      const sharing = { distribution: parseDistribution(values.distribution), tlp: parseTlp(values.tlp, '--tlp') };
      return withService(config, async (service, db) => {
        await service.share(await cliActor(db, values.org ?? 'local'), kind as ItemKind, id, sharing);
        // Shared more widely, the views of the organisations it now reaches are rebuilt; less widely, those that read it.
        if (kind === 'correction') await (await import('./match.ts')).rebuildViewsReached(config, db, [id]);
        out.log(`${kind} ${id}: ${sharing.distribution}, TLP:${sharing.tlp.toUpperCase()}${sharing.tlp === 'red' ? ' (never leaves this installation)' : ''}`);
        return EXIT.ok;
      });
    }
    case 'restrict': {
      const [kind, id] = args;
      if (!kind || !id || args.length !== 2) throw new UsageError(`exchange restrict needs ${RESTRICTABLE.join('|')} <id>`);
      if (Boolean(values.to?.length) === Boolean(values.none)) throw new UsageError('exchange restrict needs --to NAME=KEY|UUID (once per partner), or --none to lift the restriction');
      const recipients = (values.to ?? []).map(recipientOf);
      return withService(config, async (service, db) => {
        await service.restrict(await cliActor(db, values.org ?? 'local'), kind as ItemKind, id, recipients);
        out.log(recipients.length ? `${kind} ${id}: only ${recipients.map((r) => `${r.name} (${r.uuid})`).join(', ')}` : `${kind} ${id}: its whole audience`);
        return EXIT.ok;
      });
    }
    case 'items':
      return withService(config, async (service, db) => {
        const items = await service.items(await cliActor(db, values.org ?? 'local'));
        if (values.json) out.log(JSON.stringify(items, null, 2));
        else {
          const only = (r: { recipients?: { name: string }[] }) => (r.recipients?.length ? ` only ${r.recipients.map((x) => x.name).join(', ')}` : '');
          for (const n of items.notes) out.log(`note ${n.id}  ${n.distribution}/TLP:${n.tlp.toUpperCase()}${only(n)}  on ${n.subject.label}: ${n.body.slice(0, 80)}`);
          for (const d of items.namesakes) out.log(`namesake ${d.id}  ${d.distribution}/TLP:${d.tlp.toUpperCase()}${only(d)}  "${d.name}" is not ${d.entryName}: ${d.reason.slice(0, 80)}`);
          for (const a of items.assessments) out.log(`assessment ${a.id}  ${a.sharing.distribution}/TLP:${a.sharing.tlp.toUpperCase()}  case ${a.caseId}, ${a.overall}`);
        }
        return EXIT.ok;
      });
    case 'export': {
      if (values.format !== 'misp' && values.format !== 'stix' && values.format !== 'ftm') throw new UsageError(`--format takes misp, stix or ftm, got ${JSON.stringify(values.format)}`);
      if (!values.out) throw new UsageError('exchange export needs --out FILE');
      writableFile(at(values.out));
      const options = outgoingOptions(values, 'file');
      const lists = await loadedListsOf(config);
      const publisher = publisherOf(feedIdentity(config.home));
      return withService(config, async (service, db) => {
        const outgoing = await service.outgoing(await cliActor(db, values.org ?? 'local'), options);
        let written: string;
        if (values.format === 'ftm') {
          const entities = ftmOutgoingEntities(publisher, outgoing, lists);
          writeTextFile(at(values.out!), ftmJsonLines(entities));
          written = `${entities.length} FollowTheMoney entities, one a line`;
        } else {
          const doc = values.format === 'misp' ? mispEvents(publisher, outgoing, lists, new Date(), true) : stixBundle(publisher, outgoing, lists);
          writeTextFile(at(values.out!), JSON.stringify(doc, null, 1) + '\n');
          written = values.format === 'misp' ? `${(doc as unknown[]).length} MISP events` : 'a STIX 2.1 bundle';
        }
        printOutgoing(outgoing);
        const open = unrestricted(outgoing);
        const left = outgoing.notes.length + outgoing.namesakes.length + outgoing.corrections.length - (open.notes.length + open.namesakes.length + open.corrections.length);
        if (values.format !== 'misp' && left > 0) out.log(`left out: ${left} items restricted to named partners (only a MISP export carries their sharing group)`);
        out.log(`written: ${values.out} (${written})`);
        return EXIT.ok;
      });
    }
    case 'ftm-partners': {
      if (values.out) writableFile(at(values.out));
      const entities = await withStore(config, (store) => withService(config, async (service, db) => service.casePartnersFtm(await cliActor(db, values.org ?? 'local'), storeRegistry(store))));
      if (values.out) {
        writeTextFile(at(values.out), ftmJsonLines(entities));
        out.log(`written: ${values.out} (${entities.length} FollowTheMoney entities, one a line)`);
      } else invocation().stdout.write(ftmJsonLines(entities));
      return EXIT.ok;
    }
    case 'publish': {
      if (args.length !== 1) throw new UsageError('exchange publish needs the feed directory');
      const options = outgoingOptions(values, 'feed');
      const after = values['sequence-after'];
      const lists = await loadedListsOf(config);
      const identity = feedIdentity(config.home);
      const publisher = publisherOf(identity);
      return withService(config, async (service, db) => {
        const sequenceAfter = Number(after ?? 0);
        const { outgoing, written: r } = await service.publish(await cliActor(db, values.org ?? 'local'), { ...options, sequenceAfter }, identity, (outgoing) => writeFeed(config.home, at(args[0]!), mispEvents(publisher, outgoing, lists), new Date(), sequenceAfter));
        printOutgoing(outgoing);
        out.log(`published ${r.files} event files to ${args[0]}, manifest sequence ${r.sequence}, signed by ${publisher.name}`);
        return EXIT.ok;
      });
    }
    case 'subscribe': {
      if (args.length !== 1 || !values.key) throw new UsageError('exchange subscribe needs <url|dir> --key ed25519:…');
      const keyId = keyIdOf(values.key);
      // A directory is kept whole: pulls run from elsewhere (the server's schedule, another directory).
      const source = isFeedUrl(args[0]!) ? args[0]! : at(args[0]!);
      return withService(config, async (service, db) => {
        await service.subscribe(await cliActor(db, values.org ?? 'local'), source, values.key!.trim(), keyId);
        out.log(`subscribed to ${args[0]} (key ${keyId})`);
        return EXIT.ok;
      });
    }
    case 'pull':
      return withService(config, async (service, db) => {
        const { pullSubscription } = await import('../exchange/pull.ts');
        const actor = await cliActor(db, values.org ?? 'local');
        const outcomes = [];
        for (const sub of await service.subscriptions()) {
          const o = await pullSubscription(service, actor, sub, publisherOf(feedIdentity(config.home)));
          outcomes.push(o);
          if (values.json) continue;
          if (o.status === 'up-to-date') out.log(`${o.source}: up to date (sequence ${o.sequence})`);
          else if (o.status === 'refused') out.error(`${o.source}: refused: ${o.reason}`);
          else {
            const r = o.report;
            out.log(`${o.source}: ${r.publisher}, sequence ${r.sequence}: ${r.added} new, ${r.updated} updated, ${r.unchanged} unchanged${r.retracted.length ? `, ${r.retracted.length} match correction(s) retracted by their publisher (they apply to nobody now)` : ''}`);
            for (const c of r.conflicts) out.log(`  conflict: ${c.kind} ${c.uuid}: ${c.reason}`);
            for (const x of o.refusedItems) out.log(`  refused item ${x.uuid}: ${x.reason}`);
          }
        }
        await (
          await import('./match.ts')
        ).rebuildViewsReached(
          config,
          db,
          outcomes.flatMap((o) => (o.status === 'pulled' ? o.report.retracted : [])),
        );
        if (values.json) out.log(JSON.stringify(outcomes, null, 2));
        return outcomes.some((o) => o.status === 'refused') ? EXIT.failed : EXIT.ok;
      });
    case 'import': {
      if (args.length !== 1 || (values.format !== 'stix' && values.format !== 'misp') || !values.from) throw new UsageError('exchange import needs FILE --format stix|misp --from NAME (who sent it)');
      // Refused by its size before it is read (round 49: a 50 MB file was read whole, then refused without its name).
      const bytes = readFileBytes(at(args[0]!), IMPORT_MAX_BYTES);
      return withService(config, async (service, db) => {
        const r = await service.importFile(await cliActor(db, values.org ?? 'local'), { from: values.from!, name: args[0]!, format: values.format as 'stix' | 'misp', bytes }, publisherOf(feedIdentity(config.home)));
        await (await import('./match.ts')).rebuildViewsReached(config, db, r.retracted);
        if (values.json) out.log(JSON.stringify(r, null, 2));
        else {
          out.log(`${args[0]} from ${r.publisher}: ${r.added} new, ${r.updated} updated, ${r.unchanged} unchanged${r.retracted.length ? `, ${r.retracted.length} retracted` : ''} (match corrections: derisk match received)`);
          for (const c of r.conflicts) out.log(`  conflict: ${c.kind} ${c.uuid}: ${c.reason}`);
          for (const x of r.refused) out.log(`  refused item ${x.uuid}: ${x.reason}`);
        }
        return EXIT.ok;
      });
    }
    case 'received':
      return withService(config, async (service, db) => {
        const items = await service.received(await cliActor(db, values.org ?? 'local'));
        if (values.json) out.log(JSON.stringify(items, null, 2));
        else for (const r of items) out.log(`${r.kind} ${r.uuid}  from ${originText(r)} via ${r.publisher} (key ${r.keyId}, published ${r.publishedAt}, pulled ${r.pulledAt}) TLP:${r.tlp.toUpperCase()}`);
        return EXIT.ok;
      });
    case undefined:
    case 'help':
      out.log(EXCHANGE_USAGE);
      return sub === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`unknown exchange command ${JSON.stringify(sub)}\n${EXCHANGE_USAGE}`);
  }
}

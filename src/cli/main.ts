// The dispatcher stays thin: it loads only the module of the command that runs (each command's
// dependencies cost start-up time: DuckDB, Fastify, the matcher, the rulebook…).
import { nearest, parseArgs } from './args.ts';
import { EXIT, UsageError, type ExitCode } from './common.ts';
import { asTyped, out } from './io.ts';

const USAGE = `derisk — evidence for de-risking AI and big-data co-operation with China

Usage:
  derisk demo [--serve] [--port N]             build the store from the data mirror, print the landscape,
                                               and with --serve open the web app on it
  derisk ingest ror <dump.json|dump.zip|records.jsonl[.gz]>...
  derisk ingest openalex|wos|scopus <file>...  read bibliographic exports (resolves and refreshes after)
  derisk ingest openalex-merged <merged_ids/works/DATE.csv[.gz]>...  works OpenAlex merged into others leave the evidence
  derisk ingest lens|patstat <file>...         patents: a Lens CSV export, or a PATSTAT-like applicant table
  derisk ingest aggregate <country_pairs.csv[.gz]>   aggregate country-pair co-authorship counts
  derisk ingest nsf <ncses-table/data.csv>     an NCSES row-hierarchical table (e.g. 10067, AI articles)
  derisk resolve <in.csv> --column <name> --out <out.csv> [--rollup] [--min-tier strong|possible|exact]
  derisk fetch openalex --filter <f> --mailto <e-mail> --out <works.jsonl> [--max N] [--base-url URL]
  derisk summary [--json]                      co-publications per year for the standard region pairs
  derisk indicators copubs|publications|top-institutions|top-pairs|countries|fields|leadership|funders|works|aggregate-copubs
        |copatents|applicants|applicant-pairs|copatent-sectors|aggregate-series
        [--regions A,B] [--from YEAR] [--to YEAR] [--field ID] [--rollup] [--limit N] [--json|--csv]
        [--institution ROR]                    ("works" lists the works behind any figure)
  derisk merges [--differing] [--doi D] [--json]   works several sources recorded (one DOI): the record each is counted
                                               by and what the other sources' records differ in (year, countries, institutions)
  derisk fields                                the technology fields and where their definitions come from
  derisk facts [--json]                        the brief's published facts against the loaded data
  derisk lists [show|load [--watchlist F]...|diff <old> <new>]   risk lists: what is loaded (with provenance),
                                               load the published lists from the mirror (and your watchlists), compare versions
  derisk lists load --format ftm <file> --title T --publisher P --licence L --source-url U --retrieved YYYY-MM-DD --level L [--id ID]
                                               a FollowTheMoney JSON Lines file (OpenSanctions' entities.ftm.json) as one more list
  derisk screen <name|ROR id> [--json]         every list entry the name denotes, grouped by organisation, how it matched,
                                               and the nearest names not taken; exit 0 recognised and not listed, 10 listed,
                                               11 ambiguous (say which one), 12 unknown organisation (identify it first)
  derisk screen --batch <names.txt|names.csv|-> [--csv out.csv] [--json]   many names at once (one per line, or a
                                               CSV "name" column); exits with the most severe state
  derisk screen --portfolio <ROR id> [--rollup] [--csv out.csv] [--json]
  derisk screen --export <ingested file> [--csv out.csv] [--json]
                                               co-publications with listed entities, partners/researchers/departments ranked
  derisk brief <name|ROR id> [--json]          briefing sheet on a partner: listings, co-publications, Chinese rules
  derisk assess <case.yaml|json> [--json] [--report out.html|out.pdf] [--rulebook F] [--as-of YYYY-MM-DD]
                                               red/yellow/green verdict from the rulebook, with evidence, sources and a mitigation plan
  derisk assess --rerun <assessment id> --rulebook F   a stored verdict replayed under another rulebook: criteria and files that changed
  derisk assessments show <id> [--org O] [--json] [--report F]   a stored verdict of organisation O (default local) with the case as assessed,
                                               its snapshot and policy bundle
  derisk rulebook [F] [--json]                 check a rulebook (its policy tests run) within the policy bundle
  derisk audit verify [--backup DIR [--manifest-sha256 H]]...   check the audit trail (anchored outside the database) and the
                                               rows it records (and that it still holds the head each backup recorded; with H,
                                               that the backup's manifest is the one derisk backup printed)
  derisk audit anchor --reason T               anchor the trail as it stands, on purpose (after a restore, a lost anchor); audited
  derisk match correct "<string>" <ROR id|none> --reason T [--not] | match list | match resolve "<string>"
                                               analysts' corrections to affiliation matching, per organisation, audited
  derisk kb list|show|diff|add|edit|review|changes|timeline|criterion|import   the AI policy and standards knowledge base (derisk kb help)
  derisk exchange keys|note|namesake|share|items|export|publish|subscribe|pull|received   share notes, namesake decisions
                                               and anonymised verdicts with other institutions (derisk exchange help)
  derisk watch add <name|ROR id> [--kind institution|list-entry|field|country|topic|case] | watch list [--json] | watch remove <id>
  derisk alerts [--unread] [--json] | alerts check | alerts read <id>   new co-publications, list changes, verdicts that
                                               would change, knowledge-base changes, re-assessments due (README: Monitoring)
  derisk monitor fetch [--mailto E] [--base-url URL] [--json]   one pass of the OpenAlex fetch for watched institutions
                                               and countries (derisk serve runs it every DERISK_OPENALEX_INTERVAL minutes)
  derisk users add-org <id> <name> | users add --org ID --email E --role viewer|analyst|officer|admin
  derisk users list [--org ID] | users disable|enable|delete <e-mail> | users role <e-mail> <role> | users reset-password <e-mail>
  derisk cases unshare <case id> <organisation>
  derisk backup <dir> | derisk restore <dir> [--manifest-sha256 H]   application database, evidence store, audit key and
                                               exchange feed identity, to and from a directory (owner-only); backup prints its
                                               manifest's SHA-256 H (keep it apart: the signature is by the key the backup
                                               carries), restore refuses another manifest, and an unsigned one without --allow-unsigned
  derisk serve [--port 8720] [--host 127.0.0.1]   the web app and HTTP API over the store
  derisk export parquet <dir>                  work × institution table as Parquet, partitioned by year
  derisk export ftm --out FILE [--list ID]... [--hits]   the loaded risk lists (--hits: the evidence's screening hits) as FollowTheMoney entities
  derisk sources                               the datasets derisk knows and where they come from
  derisk bench                                 run the benchmarks

Options of the commands that count by region (summary, indicators, facts, resolve, brief, demo; serve: --regions-file):
  --regions-file <file>   extra region definitions (JSON, with provenance)
  --china-includes-hk     count Hong Kong as China (default: apart)
  --china-includes-mo     count Macao as China (default: apart)

Environment: DERISK_HOME (store, default ./.derisk), DERISK_MIRROR (data mirror, default ../shared/data),
  DERISK_DATABASE_URL (PostgreSQL for the application database; default: embedded in DERISK_HOME),
  DERISK_AUDIT_KEY_FILE (the audit trail's key; default DERISK_HOME/audit.key), DERISK_TRUST_PROXY (reverse proxy addresses),
  DERISK_OPENALEX_MAILTO / _API_KEY / _URL / _INTERVAL (the scheduled OpenAlex fetch: contact address, key, address, minutes)
Exit codes: 0 ok, 1 failed, 2 usage error, 3 done but some records were quarantined (see the files named)`;

/** Each command and the module that runs it, loaded on demand. */
const COMMANDS: Record<string, (argv: string[]) => Promise<ExitCode> | ExitCode> = {
  demo: async (argv) => (await import('./demo.ts')).demo(argv),
  ingest: async (argv) => (await import('./ingest.ts')).ingestCommand(argv),
  resolve: async (argv) => (await import('./resolve.ts')).resolveCommand(argv),
  fetch: async (argv) => (await import('./fetch.ts')).fetchCommand(argv),
  summary: async (argv) => (await import('./landscape.ts')).summaryCommand(argv),
  indicators: async (argv) => (await import('./landscape.ts')).indicatorsCommand(argv),
  facts: async (argv) => (await import('./landscape.ts')).factsCommand(argv),
  serve: async (argv) => (await import('./serve.ts')).serveCommand(argv),
  lists: async (argv) => (await import('./screening.ts')).listsCommand(argv),
  screen: async (argv) => (await import('./screening.ts')).screenCommand(argv),
  brief: async (argv) => (await import('./screening.ts')).briefCommand(argv),
  assess: async (argv) => (await import('./assessment.ts')).assessCommand(argv),
  rulebook: async (argv) => (await import('./assessment.ts')).rulebookCommand(argv),
  assessments: async (argv) => (await import('./assessment.ts')).assessmentsCommand(argv),
  audit: async (argv) => (await import('./admin.ts')).auditCommand(argv),
  users: async (argv) => (await import('./admin.ts')).usersCommand(argv),
  cases: async (argv) => (await import('./admin.ts')).casesCommand(argv),
  kb: async (argv) => (await import('./kb.ts')).kbCommand(argv),
  exchange: async (argv) => (await import('./exchange.ts')).exchangeCommand(argv),
  match: async (argv) => (await import('./match.ts')).matchCommand(argv),
  watch: async (argv) => (await import('./watch.ts')).watchCommand(argv),
  alerts: async (argv) => (await import('./watch.ts')).alertsCommand(argv),
  monitor: async (argv) => (await import('./monitor.ts')).monitorCommand(argv),
  backup: async (argv) => (await import('./admin.ts')).backupCommand(argv),
  restore: async (argv) => (await import('./admin.ts')).restoreCommand(argv),
  fields: async (argv) => {
    parseArgs({ args: argv, command: 'fields', options: {} });
    const { loadTaxonomy } = await import('../fields/taxonomy.ts');
    for (const f of loadTaxonomy().fields.values()) out.log(`${f.id.padEnd(32)} ${f.family.padEnd(18)} ${f.name}`);
    return EXIT.ok;
  },
  export: async (argv) => (await import('./export.ts')).exportCommand(argv),
  merges: async (argv) => (await import('./merges.ts')).mergesCommand(argv),
  sources: async (argv) => {
    parseArgs({ args: argv, command: 'sources', options: {} });
    const { SOURCES } = await import('../sources.ts');
    for (const s of SOURCES) out.log(`${s.id}\t${s.kind}\t${s.title}\n  mirror: ${s.mirrorPath}\n  public: ${s.publicUrl}\n  licence: ${s.licence}`);
    return EXIT.ok;
  },
  bench: async (argv) => (await import('./bench.ts')).benchCommand(argv),
};

export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/**
 * Commands that work on the evidence store, which one process holds at a time. While `derisk serve`
 * holds it, they run inside the server (src/cli/console-link.ts), and those that write change what
 * the server has worked out from the shared evidence.
 */
export const ON_THE_STORE: Readonly<Record<string, 'reads' | 'writes'>> = {
  ingest: 'writes',
  lists: 'writes',
  summary: 'reads',
  indicators: 'reads',
  facts: 'reads',
  screen: 'reads',
  brief: 'reads',
  assess: 'reads',
  assessments: 'reads',
  resolve: 'reads',
  // A correction rebuilds the organisation's view of the evidence in the store.
  match: 'writes',
  export: 'reads',
  merges: 'reads',
  backup: 'reads',
  watch: 'reads',
  alerts: 'reads',
  monitor: 'writes',
  // Notes and namesake decisions name list entries, and exports carry them: the lists are in the store.
  exchange: 'reads',
};

/** The usage lines of one command, cut from USAGE (so there is one text to keep true). */
export function usageOf(command: string): string {
  const blocks: { names: string[]; lines: string[] }[] = [];
  for (const line of USAGE.split('\n')) {
    if (line.startsWith('  derisk ')) blocks.push({ names: [...line.matchAll(/derisk (\w[\w-]*)/g)].map((m) => m[1]!), lines: [line] });
    else if (/^ {4,}\S/.test(line) && blocks.length > 0) blocks.at(-1)!.lines.push(line);
    else blocks.push({ names: [], lines: [] });
  }
  const own = blocks.filter((b) => b.names.includes(command)).flatMap((b) => b.lines);
  return own.length > 0 ? `Usage:\n${own.join('\n')}\n\n(derisk help: every command and the common options)` : USAGE;
}

export async function main(argv: string[]): Promise<number> {
  return reported(argv[0], async () => {
    const command = argv[0];
    if (command !== undefined && Object.hasOwn(ON_THE_STORE, command)) {
      // A running server owns the store: the command goes through it (found by its control file in DERISK_HOME).
      const { loadConfig } = await import('../config.ts');
      const { runningServer } = await import('./control-file.ts');
      const server = runningServer(loadConfig().home);
      if (server) {
        const status = await (await import('./forward.ts')).forward(server, argv);
        if (status !== null) return status;
      }
    }
    return dispatch(argv);
  });
}

/** Runs a command in this process: at the console, or in the server for a console that forwarded it. */
export const runHere = (argv: string[]): Promise<ExitCode> => reported(argv[0], () => dispatch(argv));

async function dispatch(argv: string[]): Promise<ExitCode> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      // `derisk help users`: that command's usage, as `derisk users --help` gives it (round 48: it was all of it).
      if (rest.length > 0) {
        knownCommand(rest[0]!);
        if (rest.length > 1) throw new UsageError(`help takes one command, got ${rest.map((a) => JSON.stringify(a)).join(' ')}`);
        out.log(usageOf(rest[0]!));
        return EXIT.ok;
      }
      out.log(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default: {
      const run = knownCommand(command);
      // `derisk COMMAND --help` prints its usage and does nothing else, in every command (round 49: `demo --help`
      // ran the demo, `summary|facts|lists|merges --help` their command, `fetch|fields|export|sources|bench --help`
      // were an unknown option, `ingest|screen|resolve --help` a usage error).
      if (asksHelp(rest) && !HELPS_ITSELF.has(command)) {
        out.log(usageOf(command));
        return EXIT.ok;
      }
      return await run(rest);
    }
  }
}

/** Commands whose own usage, printed on --help, says more than their lines in USAGE. */
const HELPS_ITSELF: ReadonlySet<string> = new Set(['kb', 'exchange', 'match', 'watch', 'alerts', 'monitor']);

/** Whether a command line asks for help: --help or -h among its options (not after `--`, where it is an argument). */
const asksHelp = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/** The command of that name, or a usage error naming it with the nearest command. */
function knownCommand(command: string): (argv: string[]) => Promise<ExitCode> | ExitCode {
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run) return run;
  const near = nearest(command, COMMAND_NAMES);
  throw new UsageError(`unknown command ${JSON.stringify(command)}${near ? ` — did you mean derisk ${near}?` : ''}`);
}

/**
 * A failure as the user reads it: for a mistake in the command line, each mistake and the usage of
 * that command (the commands' names for a mistyped command), exit code 2; exit code 1 otherwise.
 */
async function reported<T extends number>(command: string | undefined, work: () => Promise<T>): Promise<T | ExitCode> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const mistakes = asTyped((e as Error).message)
        .split('\n')
        .map((m) => `derisk: ${m}`)
        .join('\n');
      const known = command !== undefined && Object.hasOwn(COMMANDS, command);
      const usage = known ? usageOf(command) : `Commands: ${COMMAND_NAMES.join(', ')}\n(derisk help: what each does)`;
      out.error(`${mistakes}\n\n${usage}`);
      return EXIT.usage;
    }
    out.error(`derisk: ${asTyped((e as Error).message)}`);
    if (process.env.DERISK_DEBUG) out.error(e);
    return EXIT.failed;
  }
}

import { randomBytes } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from './args.ts';
import {
  applyExchangeRestore,
  backupAppDb,
  backupAppDir,
  checkBackupFiles,
  checkBackupTables,
  checkBackupTrusted,
  checkManifestSignature,
  checkRestoreTarget,
  homeFilesOf,
  planExchangeRestore,
  manifestSha256,
  readBackupManifest,
  readCarriedFiles,
  readPlainFile,
  restoreAppDb,
  storeDigests,
  type BackupManifest,
  type BackupSigner,
  type ExchangeRestore,
} from '../appdb/backup.ts';
import type { AppDb } from '../appdb/db.ts';
import { openAppDb } from '../appdb/open.ts';
import { loadConfig } from '../config.ts';
import { Accounts, OPERATOR } from '../service/accounts.ts';
import { anchorAnew, appendAudit, backupHeadProblems, sealOf, verifyAudit } from '../service/audit.ts';
import { makeOwnerOnly, OWNER_ONLY_DIR, writeOwnerOnly } from '../owner-only.ts';
import { cliActorId, cliActorName, NotFoundError, ROLES, type Actor, type Role } from '../service/authorize.ts';
import { publicIdentityOf } from '../exchange/feed-key.ts';
import { COMMON, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { oneOf } from './option-values.ts';
import { at, out } from './io.ts';
import { readableFolder, writableFolder } from '../text-file.ts';

/** The CLI acts for the operator of this installation: an admin of the local organisation. */
export async function cliActor(db: AppDb, org: string): Promise<Actor> {
  if (org === 'local') await new Accounts(db).createOrganisation(OPERATOR, org, 'This installation');
  else await knownOrganisation(db, org);
  const userId = cliActorId(userInfo().username);
  return { userId, orgId: org, role: 'admin', name: cliActorName(userId)! };
}

/**
 * Refuses an organisation that is not there. The installation's own (local) is made on first use; any
 * other with `users add-org`. Round 49: a mistyped --org was a new, empty organisation for most commands
 * (`users list --org nosuch` answered nothing, `watch add --org nosuch` watched in it).
 */
export async function knownOrganisation(db: AppDb, org: string): Promise<void> {
  if (!(await db.query('SELECT 1 FROM organisations WHERE id = $1', [org]))[0]) throw new NotFoundError(`no organisation ${JSON.stringify(org)} (derisk users list shows each user's; derisk users add-org makes one)`);
}

const USERS_USAGE = 'users add-org <id> <name> | users add --org ID --email E --role R | users list [--org ID] | users disable|enable|delete <e-mail> | users role <e-mail> <role> | users reset-password <e-mail>';

/** Organisations and users, managed by the operator at the console (every change audited). */
export async function usersCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'users',
    allowPositionals: true,
    takes: { 'add-org': Infinity, add: 0, list: 0, 'reset-password': 1, disable: 1, enable: 1, delete: 1, role: 2 },
    options: { ...COMMON, org: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    checks: { role: oneOf(ROLES) },
  });
  const [sub, ...rest] = positionals;
  // The command line is checked whole before the database opens (beside a running server, an open may wait on its lock).
  if (sub === 'add-org' && (!rest[0] || rest.length < 2)) throw new UsageError('users add-org <id> <name>');
  if (sub === 'add' && (!values.org || !values.email || !values.role)) throw new UsageError('users add --org ID --email E --role viewer|analyst|officer|admin [--name N]');
  if (sub === 'reset-password' && !rest[0]) throw new UsageError("users reset-password <e-mail>: a new password, shown once (or DERISK_NEW_PASSWORD); the user's sessions end and their tokens are revoked");
  if (['disable', 'enable', 'delete', 'role'].includes(sub ?? '') && (!rest[0] || (sub === 'role') !== Boolean(rest[1]))) throw new UsageError(USERS_USAGE);
  const wrongRole = sub === 'role' ? oneOf(ROLES)(rest[1]!) : null;
  if (wrongRole) throw new UsageError(`users role: ${JSON.stringify(rest[1])} ${wrongRole}`);
  if (!['add-org', 'add', 'list', 'reset-password', 'disable', 'enable', 'delete', 'role'].includes(sub ?? '')) throw new UsageError(USERS_USAGE);
  const db = await openAppDb(loadConfig());
  try {
    const accounts = new Accounts(db);
    if (sub === 'add-org') {
      const [id, ...name] = rest as [string, ...string[]];
      await accounts.createOrganisation(OPERATOR, id, name.join(' '));
      out.log(`organisation ${id} ready`);
      return EXIT.ok;
    }
    if (sub === 'add') {
      // The round-49 refusal of an unknown organisation, the same as every --org's (the service's named no way out).
      await knownOrganisation(db, values.org!);
      const password = process.env.DERISK_NEW_PASSWORD ?? randomBytes(15).toString('base64url');
      await accounts.createUser(OPERATOR, { orgId: values.org!, email: values.email!, name: values.name ?? values.email!, role: values.role as Role, password });
      out.log(`user ${values.email} (${values.role}) added to ${values.org}${process.env.DERISK_NEW_PASSWORD ? '' : `; password (shown once): ${password}`}`);
      return EXIT.ok;
    }
    if (sub === 'list') {
      if (values.org !== undefined) await knownOrganisation(db, values.org);
      const rows = await db.query<{ org_id: string; email: string; name: string; role: string; disabled: boolean | number }>(`SELECT org_id, email, name, role, disabled FROM users ${values.org ? 'WHERE org_id = $1 ' : ''}ORDER BY org_id, email`, values.org ? [values.org] : []);
      if (values.json) out.log(JSON.stringify(rows.map((r) => ({ ...r, disabled: Boolean(r.disabled) }))));
      else for (const r of rows) out.log(`${r.org_id.padEnd(16)} ${r.email.padEnd(36)} ${r.role.padEnd(8)} ${r.disabled ? 'disabled' : 'active'}  ${r.name}`);
      return EXIT.ok;
    }
    if (sub === 'reset-password') {
      const email = rest[0]!;
      const user = await accounts.userByEmail(email);
      if (!user) throw new UsageError(`no user ${email}`);
      const password = process.env.DERISK_NEW_PASSWORD ?? randomBytes(15).toString('base64url');
      const { tokensRevoked } = await accounts.resetPassword(OPERATOR, user.id, password);
      out.log(`${email}: password reset (sessions ended, ${tokensRevoked} tokens revoked)${process.env.DERISK_NEW_PASSWORD ? '' : `; new password (shown once): ${password}`}`);
      return EXIT.ok;
    }
    // disable, enable, delete or role: the others were refused above.
    const [email, role] = rest as [string, string | undefined];
    const user = await accounts.userByEmail(email);
    if (!user) throw new UsageError(`no user ${email}`);
    if (sub === 'role') await accounts.setRole(OPERATOR, user.id, role as Role);
    else if (sub === 'delete') await accounts.deleteUser(OPERATOR, user.id);
    else await accounts.setDisabled(OPERATOR, user.id, sub === 'disable');
    out.log(`${email}: ${sub === 'role' ? `role ${role}` : `${sub}d`}${sub === 'disable' || sub === 'delete' ? ' (sessions ended, tokens revoked)' : ''}`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

/** Cases, from the console: take back a share (the other organisation loses sight of the case at once). */
export async function casesCommand(argv: string[]): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, command: 'cases', allowPositionals: true, takes: { unshare: 2 }, options: { ...COMMON } });
  const [sub, caseId, orgId] = positionals;
  if (sub !== 'unshare' || !caseId || !orgId) throw new UsageError('cases unshare <case id> <organisation>');
  const db = await openAppDb(loadConfig());
  try {
    const owner = (await db.query<{ org_id: string }>('SELECT org_id FROM cases WHERE id = $1', [caseId]))[0];
    if (!owner) throw new UsageError(`no case ${caseId}`);
    // An unknown organisation is named as every --org names one (the service said only "not shared with").
    await knownOrganisation(db, orgId);
    // Sharing needs no assessor: the case service is used for its sharing only. Imported here: it brings
    // the rulebook's TypeBox schemas, which every other command of this file would load for nothing.
    const { CaseService } = await import('../service/cases.ts');
    await new CaseService(db, null as never).unshare({ ...OPERATOR, orgId: owner.org_id }, caseId, orgId);
    out.log(`case ${caseId} is no longer shared with ${orgId}`);
    return EXIT.ok;
  } finally {
    await db.close();
  }
}

/**
 * Backs up the application database (JSON Lines, whichever database holds it) and the evidence
 * store (DuckDB's EXPORT DATABASE, Parquet) into one directory.
 */
export async function backupCommand(argv: string[]): Promise<ExitCode> {
  const { positionals } = parseArgs({ args: argv, command: 'backup', allowPositionals: true, takes: 1, options: { ...COMMON } });
  const dir = positionals[0];
  if (!dir) throw new UsageError('backup <directory>');
  writableFolder(at(dir), true);
  if (existsSync(at(dir)) && readdirSync(at(dir)).length > 0) throw new UsageError(`${dir} is not empty: back up into a new directory`);
  const config = loadConfig();
  // Read and checked before the backup folder is made: a home file a restore would refuse makes no backup.
  const home = homeFilesOf(config.home);
  // Owner-only, like the home, also when the folder was there (empty) before.
  mkdirSync(at(dir), { recursive: true, mode: OWNER_ONLY_DIR });
  chmodSync(at(dir), OWNER_ONLY_DIR);
  // The evidence store is exported first: the manifest records the SHA-256 of each of its files.
  let store: Awaited<ReturnType<typeof storeDigests>> | null = null;
  if (existsSync(config.storePath)) {
    const exported = join(at(dir), 'store');
    await withStore(config, async (opened) => {
      // On a connection of its own: it sees the last committed state (a server may be writing) and
      // none of the temporary tables of the connection it came from, which the export would carry.
      const own = await opened.connect();
      try {
        await own.run(`EXPORT DATABASE '${exported.replace(/'/g, "''")}' (FORMAT parquet)`);
      } finally {
        own.close();
      }
    });
    // DuckDB writes the export with the process's umask, inside the owner-only backup folder.
    makeOwnerOnly(exported);
    store = await storeDigests(exported);
    out.log(`evidence store exported to ${join(dir, 'store')}`);
  }
  const db = await openAppDb(config);
  try {
    // The audit key goes with the backup, so the restored trail verifies, and so does the exchange
    // feed's identity, so partners still trust the restored feed: keep backups as safe as DERISK_HOME.
    const seal = sealOf(db);
    const auditKey = seal ? [{ as: 'audit.key', data: readPlainFile(seal.keyPath, 'derisk keeps the audit key as a plain file') }] : [];
    const m = await backupAppDb(db, join(at(dir), 'app'), [...auditKey, ...home.files], store);
    const digest = manifestSha256(m);
    // Recorded where the backup cannot change it: the trail of the installation it was made from.
    await db.transaction((tx) => appendAudit(tx, { actor: 'operator', orgId: null, action: 'backup.create', target: dir, detail: { manifestSha256: digest, auditHead: m.auditHead, signed: home.keyId !== null } }));
    out.log(
      `application database (${m.source}): ${Object.entries(m.tables)
        .map(([t, n]) => `${t} ${n}`)
        .join(
          ', ',
        )}; audit head ${m.auditHead ? `${m.auditHead.seq} ${m.auditHead.hash.slice(0, 16)}…` : 'empty'}${seal ? '; audit key included (keep this backup as safe as DERISK_HOME)' : ''}${home.keyId ? `; exchange feed identity included (key id ${home.keyId})` : ''}${home.leftOut.length > 0 ? `; left out, not files derisk writes there: ${home.leftOut.join(', ')}` : ''}`,
    );
    out.log(`manifest SHA-256 ${digest} (recorded in this installation's audit trail): keep it apart from the backup, and restore with derisk restore ${dir} --manifest-sha256 ${digest}; the backup's signature cannot show it is this backup, as the backup carries the key that signed it`);
  } finally {
    await db.close();
  }
  return EXIT.ok;
}

/**
 * Why an unsigned backup is restored only on --allow-unsigned: nothing shows its manifest (and so
 * its files' hashes and row counts) is as derisk wrote it, and a signature removed looks like none made.
 */
function unsignedRefusal(dir: string, manifest: BackupManifest): string {
  const carriesKey = manifest.files !== undefined && 'exchange/feed-key.pem' in manifest.files;
  const why = carriesKey
    ? 'it carries the exchange feed key, and derisk signs every backup that carries one: its signature was removed, or it was made before backups were signed'
    : 'it was made before backups were signed, or by an installation with no exchange feed key, or its signature was removed';
  return `the backup ${dir} is not signed (no app/manifest.json.sig): ${why}, so nothing shows that its manifest is the one derisk wrote. Give the manifest SHA-256 derisk backup printed with --manifest-sha256, or, if you know where it came from, restore it with --allow-unsigned`;
}

/** A --manifest-sha256 value, checked: 64 hexadecimal digits, as derisk backup prints them. */
function manifestDigestArg(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new UsageError(`--manifest-sha256 ${JSON.stringify(value)} is not a SHA-256 (64 hexadecimal digits, as derisk backup prints it)`);
  return value.toLowerCase();
}

/**
 * What checked a backup's manifest: the SHA-256 kept apart from it, or nothing but the backup
 * itself (its signature is by the key it carries, so whoever holds it can change it and sign again).
 */
const manifestCheckText = (digest: string | undefined): string =>
  digest
    ? `has the SHA-256 given with --manifest-sha256 (${digest}): it is the manifest derisk backup made`
    : 'checked only against the backup itself (its signature is by the key the backup carries, so whoever holds the backup can change it and sign it again): give the manifest SHA-256 derisk backup printed with --manifest-sha256 to check that it is the backup made';

/** Restores a backup into a new installation (empty application database, no evidence store yet). */
export async function restoreCommand(argv: string[]): Promise<ExitCode> {
  const { positionals, values } = parseArgs({ args: argv, command: 'restore', allowPositionals: true, takes: 1, options: { ...COMMON, 'allow-unsigned': { type: 'boolean' }, 'manifest-sha256': { type: 'string' } } });
  const dir = positionals[0];
  if (!dir) throw new UsageError('restore <backup directory> [--manifest-sha256 <hex>] [--allow-unsigned]');
  const digest = values['manifest-sha256'] === undefined ? undefined : manifestDigestArg(values['manifest-sha256']);
  readableFolder(at(dir));
  const config = loadConfig();
  // Everything is read and checked, the backup's side and the home's, before anything is written:
  // a backup or home file that cannot be used restores nothing. The carried files are read once
  // here, and these bytes are what is written.
  checkBackupTrusted(at(dir));
  const app = join(at(dir), 'app');
  const manifest = readBackupManifest(app, digest);
  const carried = readCarriedFiles(app, manifest);
  const exchange = planExchangeRestore(app, manifest, carried, config.home);
  // An edited manifest, or one signed by a key other than the feed key the backup carries, is refused.
  const signer = checkManifestSignature(app, manifest, carried);
  // The manifest's SHA-256 that derisk backup printed shows more than a signature can: an unsigned backup restores with it.
  if (!signer && !digest && !values['allow-unsigned']) throw new Error(unsignedRefusal(dir, manifest));
  // The evidence store's files are copied into a folder of this user's alone, checked there and imported from there:
  // the backup's own could change between the check and the import (its folder may be shared), the copies cannot.
  const scratch = mkdtempSync(join(tmpdir(), 'derisk-restore-'));
  try {
    const { verified, store } = await checkBackupFiles(app, manifest, scratch);
    if (store && existsSync(config.storePath)) throw new UsageError(`${config.storePath} exists: restore into a new DERISK_HOME`);
    await checkBackupTables(app, manifest);
    if (!verified) out.log(`${dir} was made before backups listed a SHA-256 for each of their files: its tables and evidence store are restored unverified (row counts and the files it carries are checked, nothing else)`);
    // What the home held before: a restore refused from here on takes away what it made there, and only that.
    const homeExisted = existsSync(config.home);
    const before = new Set(homeExisted ? readdirSync(config.home) : []);
    let refused = false;
    let db = await openAppDb(config);
    try {
      // Every refusal comes before the first write: a database with rows refuses the restore before the store is imported.
      await checkRestoreTarget(db);
      let m: BackupManifest;
      try {
        if (store) {
          // Loaded here, not at the top: DuckDB takes a while to load, and the users, audit and backup commands of this module never need it.
          const { Store } = await import('../store/store.ts');
          const imported = await Store.importFrom(config.storePath, store).catch((e: unknown) => {
            throw new Error(`the evidence store in ${join(dir, 'store')} could not be imported (${(e as Error).message}): nothing is restored`, { cause: e });
          });
          imported.close();
          out.log(`evidence store restored to ${config.storePath}`);
        }
        m = await restoreAppDb(db, app, manifest, { auditKey: carried.get('audit.key') ?? null });
      } catch (e) {
        refused = true;
        throw e;
      }
      // The restored trail is sealed with the key of the installation it came from: take that key,
      // and anchor the restored trail on purpose, with an entry saying so (a trail kept before
      // sealing is sealed by it).
      if (sealOf(db)) {
        await db.close();
        const key = carried.get('audit.key');
        if (key) writeOwnerOnly(config.auditKeyPath, key);
        rmSync(config.auditAnchorPath, { force: true });
        db = await openAppDb(config);
        await anchorAnew(db, `restored from the backup ${dir} made ${m.createdAt}${m.auditHead ? `, whose head was entry ${m.auditHead.seq}` : ''}, ${signedText(signer, digest)}; manifest ${digest ? `SHA-256 ${digest}, as given with --manifest-sha256` : 'checked only against the backup itself'}`);
      }
      applyExchangeRestore(config.home, exchange);
      const e = exchange.report;
      await db.transaction((tx) => appendAudit(tx, { actor: 'operator', orgId: null, action: 'exchange.identity.restore', target: 'exchange', detail: { ...e, files: e.files.length, backup: dir } }));
      out.log(`backup manifest ${signedText(signer, digest)}`);
      out.log(`backup manifest ${manifestCheckText(digest)}`);
      out.log(exchangeRestored(e));
      const audit = await verifyAudit(db);
      const differs = (await backupHeadProblems(db, [{ dir, manifest: m }])).length > 0;
      out.log(
        `application database restored: ${Object.entries(m.tables)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}; audit chain ${audit.problems.length === 0 ? 'verifies' : `has ${audit.problems.length} problems`}${differs ? ' (its head is not the one the manifest recorded!)' : ''}`,
      );
      return audit.problems.length === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      await db.close();
      // Nothing of the backup was committed: the home is left as it was. The store was not there
      // before (checked above); the database, the audit key and the anchor only if opening it made them.
      if (refused) {
        if (store) for (const f of [config.storePath, `${config.storePath}.wal`]) rmSync(f, { force: true });
        for (const name of readdirSync(config.home)) if (!before.has(name) && MADE_BY_OPENING.test(name)) rmSync(join(config.home, name), { force: true });
        if (!homeExisted && readdirSync(config.home).length === 0) rmdirSync(config.home);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const signedText = (signer: BackupSigner | null, digest: string | undefined): string => (signer ? `signed by the exchange feed key ${signer.keyId}, the key the backup carries` : digest ? 'not signed (its manifest SHA-256 given)' : 'not signed (restored on --allow-unsigned)');

/** What opening the application database makes in an empty home: the embedded database (with its journal files), the audit key and anchor. */
const MADE_BY_OPENING = /^(app\.sqlite(-wal|-shm|-journal)?|audit\.key|audit\.anchor\.json)$/;

/**
 * What a restore says of the exchange feed's identity: partners pinned its key, and each refuses a
 * feed whose sequence is not newer than the last it took.
 */
function exchangeRestored(e: ExchangeRestore): string {
  const published = (n: number | null) => (n === null ? 'never published' : `last published at sequence ${n}`);
  if (e.kept) return `exchange feed identity: this home holds the backup's key already (key id ${e.own}), ${published(e.ownSequence)}, later than the backup (${published(e.restoredSequence)}): its exchange folder is kept as it is, so partners that took its later feed take its next publish`;
  if (e.files.length > 0) {
    const aside = e.setAside ? `; this home's own (${e.own ? `key id ${e.own}` : 'no feed key'}) was set aside in ${e.setAside}` : '';
    const next = (e.restoredSequence ?? 0) + 1;
    return `exchange feed identity restored (${e.restored ? `key id ${e.restored}` : 'no feed key, its feed only'}), ${published(e.restoredSequence)} when backed up: partners subscribed to it take its next publish (sequence ${next}) unless they pulled a feed it published after this backup, which makes them refuse its feeds until its sequence passes theirs; ask them for the last sequence they took and publish once with derisk exchange publish <dir> --sequence-after <that sequence>${aside}`;
  }
  const kept = e.own ? `this home keeps its own feed identity (key id ${e.own}), not the backed-up installation's` : "this installation's first publish makes a new feed key";
  if (!e.backupCarriesHome) return `the exchange feed identity is not in the backup (made by a derisk that did not carry DERISK_HOME/exchange): ${kept}; partners who subscribed to the old feed must be given the new key (derisk exchange keys) and subscribe anew`;
  return `the backed-up installation had no exchange feed identity (it never published)${e.own ? `; ${kept}` : ''}`;
}

const AUDIT_USAGE =
  'audit verify [--backup <dir> [--manifest-sha256 <hex>]]...: checks the audit trail for edited or deleted entries (and that it holds the head each backup recorded, which feed key signed its manifest, and that the manifest has the SHA-256 derisk backup printed, one --manifest-sha256 per --backup, in order) | audit anchor --reason "…": anchors the trail as it stands, on purpose (audited)';

export async function auditCommand(argv: string[]): Promise<ExitCode> {
  const { positionals, values } = parseArgs({ args: argv, command: 'audit', allowPositionals: true, takes: { verify: 0, anchor: 0 }, options: { ...COMMON, backup: { type: 'string', multiple: true }, 'manifest-sha256': { type: 'string', multiple: true }, reason: { type: 'string' } } });
  const sub = positionals[0];
  if (sub !== 'verify' && sub !== 'anchor') throw new UsageError(AUDIT_USAGE);
  if (sub === 'anchor' && !values.reason?.trim()) throw new UsageError('audit anchor --reason "…": say why the trail is anchored anew (the trail records it)');
  // Read before the database is opened: a backup that cannot be read, or any of whose files (the
  // tables, the evidence store, the audit key, the feed identity) is not the one its manifest lists, is an error, not a pass.
  const digests = (values['manifest-sha256'] ?? []).map(manifestDigestArg);
  if (digests.length > 0 && digests.length !== (values.backup ?? []).length) throw new UsageError(`${digests.length} --manifest-sha256 for ${(values.backup ?? []).length} --backup: give one per backup, in the same order, or none`);
  const backups = [];
  for (const [i, dir] of (values.backup ?? []).entries()) {
    const app = backupAppDir(at(dir));
    const digest = digests[i];
    const manifest = readBackupManifest(at(dir), digest);
    const carried = readCarriedFiles(app, manifest);
    // The signature first: a manifest changed since it was signed is reported as such, not by the file it no longer matches.
    const signer = checkManifestSignature(app, manifest, carried);
    const { verified } = await checkBackupFiles(app, manifest);
    await checkBackupTables(app, manifest);
    backups.push({ dir, manifest, verified, signer, digest });
  }
  const config = loadConfig();
  const ownKeyPath = join(config.home, 'exchange', 'feed-key.pem');
  const ownKey = backups.length > 0 && existsSync(ownKeyPath) ? publicIdentityOf(readPlainFile(ownKeyPath, 'derisk keeps the feed key as a plain file')).keyId : null;
  const db = await openAppDb(config);
  try {
    if (sub === 'anchor') {
      const head = await anchorAnew(db, values.reason!);
      out.log(`the audit trail is anchored at entry ${head.seq} (${head.hash.slice(0, 16)}…), which records the reason; derisk audit verify checks it from now on`);
      return EXIT.ok;
    }
    const r = await verifyAudit(db);
    r.problems.push(...(await backupHeadProblems(db, backups)));
    // A backup signed by another key than this installation's is another installation's, or was re-signed by whoever replaced its key.
    for (const { dir, signer } of backups)
      if (signer && ownKey && signer.keyId !== ownKey) r.problems.push({ seq: null, problem: `the backup ${dir} is signed by the feed key ${signer.keyId}, not this installation's (${ownKey}): it is another installation's backup, or its key was replaced`, orgId: null });
    // The signature is by the key the backup carries: only a SHA-256 kept apart shows the manifest is the one made (null: none was given).
    const signatures = backups.map(({ dir, signer, digest }) => ({ backup: dir, signedBy: signer?.keyId ?? null, thisInstallationsKey: signer && ownKey ? signer.keyId === ownKey : null, manifestSha256: digest ?? null }));
    // Each backup's files were checked above (a changed one is an error); one made before manifests listed them all could not be.
    const files = backups.map(({ dir, verified }) => ({ backup: dir, verified }));
    if (values.json) out.log(JSON.stringify({ ...r, ...(backups.length > 0 ? { backupSignatures: signatures, backupFiles: files } : {}) }, null, 2));
    else {
      out.log(`${r.entries} audit entries; head ${r.head.slice(0, 16)}…`);
      for (const s of signatures)
        out.log(
          `  backup ${s.backup}: ${s.signedBy === null ? 'manifest not signed (made before backups were signed, or by an installation with no exchange feed key)' : `manifest signed by the exchange feed key ${s.signedBy}${s.thisInstallationsKey === null ? ', and this installation has no feed key to compare it with' : s.thisInstallationsKey ? ", this installation's" : `, NOT this installation's (${ownKey})`}`}`,
        );
      for (const s of signatures) out.log(`  backup ${s.backup}: manifest ${manifestCheckText(s.manifestSha256 ?? undefined)}`);
      for (const f of files) out.log(`  backup ${f.backup}: ${f.verified ? 'every file is the one its manifest lists (size and SHA-256)' : 'made before backups listed a SHA-256 for each of their files: its tables and evidence store are unverified'}`);
      for (const p of r.problems) out.log(`  ${p.seq === null ? '' : `entry ${p.seq}: `}${p.problem}`);
      out.log(r.problems.length === 0 ? 'the chain verifies: no entry was edited or deleted' : `${r.problems.length} problem(s): the audit trail was tampered with`);
    }
    return r.problems.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await db.close();
  }
}

import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backupAppDb, restoreAppDb } from '../appdb/backup.ts';
import { openAppDb } from '../appdb/open.ts';
import { loadConfig } from '../config.ts';
import { Accounts, OPERATOR } from '../service/accounts.ts';
import { verifyAudit } from '../service/audit.ts';
import { ROLES, type Role } from '../service/authorize.ts';
import { Store } from '../store/store.ts';
import { COMMON, EXIT, UsageError } from './common.ts';

/** Organisations and users, set up by the operator at the console. */
export async function usersCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, org: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } } });
  const [sub, ...rest] = positionals;
  const db = await openAppDb(loadConfig());
  try {
    const accounts = new Accounts(db);
    if (sub === 'add-org') {
      const [id, ...name] = rest;
      if (!id || name.length === 0) throw new UsageError('users add-org <id> <name>');
      await accounts.createOrganisation(OPERATOR, id, name.join(' '));
      console.log(`organisation ${id} ready`);
      return EXIT.ok;
    }
    if (sub === 'add') {
      if (!values.org || !values.email || !values.role) throw new UsageError('users add --org ID --email E --role viewer|analyst|officer|admin [--name N]');
      if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role is one of ${ROLES.join(', ')}`);
      const password = process.env.DERISK_NEW_PASSWORD ?? randomBytes(15).toString('base64url');
      await accounts.createUser(OPERATOR, { orgId: values.org, email: values.email, name: values.name ?? values.email, role: values.role as Role, password });
      console.log(`user ${values.email} (${values.role}) added to ${values.org}${process.env.DERISK_NEW_PASSWORD ? '' : `; password (shown once): ${password}`}`);
      return EXIT.ok;
    }
    throw new UsageError('users add-org <id> <name> | users add --org ID --email E --role R');
  } finally {
    await db.close();
  }
}

/**
 * Backs up the application database (JSON Lines, whichever database holds it) and the evidence
 * store (DuckDB's EXPORT DATABASE, Parquet) into one directory.
 */
export async function backupCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON } });
  const dir = positionals[0];
  if (!dir) throw new UsageError('backup <directory>');
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`${dir} is not empty: back up into a new directory`);
  const config = loadConfig();
  const db = await openAppDb(config);
  try {
    const m = await backupAppDb(db, join(dir, 'app'));
    console.log(`application database (${m.source}): ${Object.entries(m.tables).map(([t, n]) => `${t} ${n}`).join(', ')}; audit head ${m.auditHead ? `${m.auditHead.seq} ${m.auditHead.hash.slice(0, 16)}…` : 'empty'}`);
  } finally {
    await db.close();
  }
  if (existsSync(config.storePath)) {
    const store = await Store.open(config.storePath);
    try {
      await store.run(`EXPORT DATABASE '${join(dir, 'store').replace(/'/g, "''")}' (FORMAT parquet)`);
      console.log(`evidence store exported to ${join(dir, 'store')}`);
    } finally {
      store.close();
    }
  }
  return EXIT.ok;
}

/** Restores a backup into a new installation (empty application database, no evidence store yet). */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON } });
  const dir = positionals[0];
  if (!dir) throw new UsageError('restore <backup directory>');
  const config = loadConfig();
  if (existsSync(join(dir, 'store'))) {
    if (existsSync(config.storePath)) throw new UsageError(`${config.storePath} exists: restore into a new DERISK_HOME`);
    const store = await Store.open(config.storePath);
    try {
      await store.run(`IMPORT DATABASE '${join(dir, 'store').replace(/'/g, "''")}'`);
    } finally {
      store.close();
    }
    console.log(`evidence store restored to ${config.storePath}`);
  }
  const db = await openAppDb(config);
  try {
    const m = await restoreAppDb(db, join(dir, 'app'));
    const audit = await verifyAudit(db);
    console.log(`application database restored: ${Object.entries(m.tables).map(([t, n]) => `${t} ${n}`).join(', ')}; audit chain ${audit.problems.length === 0 ? 'verifies' : `has ${audit.problems.length} problems`}${m.auditHead && audit.head !== m.auditHead.hash ? ' (head differs from the manifest!)' : ''}`);
    return audit.problems.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await db.close();
  }
}

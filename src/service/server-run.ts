import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDb } from '../appdb/db.ts';
import { Accounts, OPERATOR, REVOKED } from './accounts.ts';
import { appendAudit } from './audit.ts';

/**
 * One run of `derisk serve`. The console gets a one-time login code for the installation's admin;
 * sessions opened with it belong to the run and end with it — at a clean stop, or, after a crash
 * or kill -9, at the next start (the run is remembered in DERISK_HOME/serve.run, owner-only).
 * One server per DERISK_HOME.
 */
export async function beginServerRun(db: AppDb, accounts: Accounts, home: string, userId: string): Promise<{ origin: string; code: string; end: () => Promise<void> }> {
  const file = join(home, 'serve.run');
  if (existsSync(file)) {
    const previous = readFileSync(file, 'utf8').trim();
    if (/^run:[A-Za-z0-9_-]{8,64}$/.test(previous)) await accounts.endOrigin(previous);
  }
  await revokeLegacyStartTokens(db);
  const origin = `run:${randomBytes(12).toString('base64url')}`;
  mkdirSync(home, { recursive: true });
  writeFileSync(file, `${origin}\n`, { mode: 0o600 });
  const code = await accounts.mintLoginCode(OPERATOR, userId, origin);
  return {
    origin,
    code,
    end: async () => {
      await accounts.endOrigin(origin);
      rmSync(file, { force: true });
    },
  };
}

/** Earlier versions printed an API token at every start and revoked it only at a clean stop: any left over is revoked. */
async function revokeLegacyStartTokens(db: AppDb): Promise<void> {
  await db.transaction(async (tx) => {
    const left = await tx.query<{ id: string; org_id: string }>("SELECT t.id, u.org_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE NOT t.revoked AND t.label LIKE 'derisk serve %'");
    for (const t of left) {
      await tx.query(`UPDATE api_tokens SET ${REVOKED} WHERE id = $1`, [t.id]);
      await appendAudit(tx, { actor: OPERATOR.userId, orgId: t.org_id, action: 'token.revoke', target: t.id, detail: { reason: 'start token of an earlier run' }, rows: [['api_tokens', t.id]] });
    }
  });
}

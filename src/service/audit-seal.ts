import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What anchors the audit trail outside the database: a secret key (entries carry a MAC under it,
 * so a chain rewritten in the database does not verify) and an anchor file holding the last head
 * this installation wrote (so entries deleted from the end are noticed). Both are owner-only files;
 * a copy of the database alone can neither forge entries nor hide a truncation.
 */
export interface AuditSeal {
  key: Buffer;
  keyPath: string;
  anchorPath: string;
}

export interface Anchor {
  /** The first entry written under the key (entries before it predate sealing). */
  sealedFrom: number;
  seq: number;
  hash: string;
  at: string;
}

const OWNER_ONLY = 0o600;

/** Reads the audit key, creating it (owner-only) on first use; refuses a key others may read. */
export function loadAuditKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      // 'wx': two processes starting at once end up with the same key, never with two.
      writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: OWNER_ONLY, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) throw new Error(`the audit key ${path} may be read by others: chmod 600 ${path}`);
  return parseAuditKey(readFileSync(path, 'utf8'), path);
}

/** The key an audit key file holds (32 bytes or more, in hex), naming the file when it holds none. */
export function parseAuditKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'hex');
  if (key.length < 32) throw new Error(`the audit key ${path} is not 32 bytes of hex`);
  return key;
}

export function readAnchor(seal: AuditSeal): Anchor | null {
  if (!existsSync(seal.anchorPath)) return null;
  try {
    const a = JSON.parse(readFileSync(seal.anchorPath, 'utf8')) as Anchor;
    if (!Number.isInteger(a.seq) || !Number.isInteger(a.sealedFrom) || typeof a.hash !== 'string') throw new Error('fields');
    return a;
  } catch {
    throw new Error(`the audit anchor ${seal.anchorPath} is not readable: it was edited or damaged`);
  }
}

/**
 * Records a new head outside the database: written whole, then renamed, owner-only. Without
 * `sealedFrom` it moves an existing anchor forward only: a missing anchor is never made anew by
 * a commit (a deleted anchor and a cut tail would be anchored as if nothing had happened), only
 * by anchoring on purpose (see openSealedTrail and anchorAnew).
 */
export function writeAnchor(seal: AuditSeal, head: { seq: number; hash: string }, sealedFrom?: number): void {
  // Read at every commit, never remembered: another process (a CLI command beside the server) may
  // have anchored a later head meanwhile, or anchored anew, on purpose, an earlier one (after a
  // truncation), which this process must then move forward from. A slower commit never moves it back.
  const current = readAnchor(seal);
  if (sealedFrom === undefined && !current) return;
  if (sealedFrom === undefined && current && current.seq >= head.seq) return;
  const previous = sealedFrom ?? current!.sealedFrom;
  const anchor: Anchor = { sealedFrom: previous, seq: head.seq, hash: head.hash, at: new Date().toISOString() };
  mkdirSync(dirname(seal.anchorPath), { recursive: true });
  const part = `${seal.anchorPath}.${process.pid}.part`;
  writeFileSync(part, `${JSON.stringify(anchor)}\n`, { mode: OWNER_ONLY });
  chmodSync(part, OWNER_ONLY);
  renameSync(part, seal.anchorPath);
}

/**
 * A MAC under the audit key over the columns of a row that grants access (a session, a login
 * code): a row written with database access alone, or moved to another user, does not match.
 */
export function credentialMac(seal: AuditSeal, kind: string, values: readonly unknown[]): string {
  return createHmac('sha256', seal.key)
    .update(JSON.stringify([kind, ...values.map((v) => (v === null || v === undefined ? null : String(v)))]))
    .digest('hex');
}

export function credentialMacMatches(seal: AuditSeal, kind: string, values: readonly unknown[], mac: unknown): boolean {
  const want = Buffer.from(credentialMac(seal, kind, values), 'hex');
  const got = typeof mac === 'string' ? Buffer.from(mac, 'hex') : Buffer.alloc(0);
  return got.length === want.length && timingSafeEqual(got, want);
}

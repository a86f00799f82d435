import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkLiteral, DestinationError, guardedLookup, type DestinationPolicy } from '../monitoring/destinations.ts';
import { manifestEntry, readMispEvent, type Publisher, type Refused } from './misp.ts';
import { allowedFeedUrl, isFeedUrl, NO_FEED_ORIGINS, type FeedOrigins } from './origins.ts';
import { ExchangeError, nameUuid, UUID } from './marking.ts';
import { FeedRefused, type ReceivedItem, type Recipient } from './service.ts';
import { keyIdOfSpki, SPKI_ED25519 } from './feed-key.ts';
import { OWNER_ONLY_DIR, writeOwnerOnly } from '../owner-only.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * Signed static feeds. A feed is a directory (or the same files over HTTP) in MISP's feed layout:
 * one `<uuid>.json` per event and `manifest.json` listing each with its `integrity:sha256`. Beside
 * it, `manifest.json.sig` (as MISP keeps `manifest.json.asc`) signs, with the publisher's Ed25519
 * key, the manifest's SHA-256, the publisher, a sequence number and the time: a reader checks the
 * key it subscribed with, the signature, the manifest, every file, and that the sequence is newer
 * than the last it took.
 */
const SIG_FORMAT = 'derisk-feed-signature/1';
/** A feed file larger than this is refused unread: events of notes and decisions are small. */
const MAX_FILE = 64 * 1024 * 1024;

export interface Identity {
  publisher: string;
  /** `ed25519:<base64 of the 32-byte public key>`: what subscribers pass as --key. */
  publicKey: string;
  keyId: string;
}

const keyPaths = (home: string) => ({ dir: join(home, 'exchange'), key: join(home, 'exchange', 'feed-key.pem'), identity: join(home, 'exchange', 'identity.json'), state: join(home, 'exchange', 'published.json') });

export const keyIdOf = (publicKey: string) => keyIdOfSpki(parsePublicKey(publicKey).export({ format: 'der', type: 'spki' }));

export function parsePublicKey(text: string): KeyObject {
  const m = /^ed25519:([A-Za-z0-9+/]{43}=)$/.exec(text.trim());
  if (!m) throw new FeedRefused(`${JSON.stringify(text.slice(0, 80))} is not a derisk feed key (ed25519:<base64 of 32 bytes>, as derisk exchange keys prints it)`);
  const raw = Buffer.from(m[1]!, 'base64');
  if (raw.length !== 32) throw new FeedRefused('an Ed25519 public key has 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** The installation's feed key, made on first use (private key owner-only in DERISK_HOME/exchange/). */
export function feedIdentity(home: string, publisher?: string): Identity {
  const p = keyPaths(home);
  if (existsSync(p.identity)) {
    const id = JSON.parse(readFileSync(p.identity, 'utf8')) as Identity;
    if (publisher && publisher !== id.publisher) {
      writeOwnerOnly(p.identity, JSON.stringify({ ...id, publisher }, null, 2) + '\n');
      return { ...id, publisher };
    }
    return id;
  }
  mkdirSync(p.dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(p.key, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const raw = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_ED25519.length);
  const text = `ed25519:${raw.toString('base64')}`;
  const id: Identity = { publisher: publisher ?? 'derisk installation', publicKey: text, keyId: keyIdOf(text) };
  writeOwnerOnly(p.identity, JSON.stringify(id, null, 2) + '\n');
  return id;
}

export const publisherOf = (id: Identity): Publisher => ({ name: id.publisher, uuid: nameUuid(`publisher/${id.publicKey}`) });

/**
 * A partner to restrict an item to, written `NAME=ed25519:…` (another derisk installation, by the
 * feed key its administrator gave: its organisation UUID follows from it) or `NAME=<organisation
 * UUID>` (a MISP instance's organisation).
 */
export function recipientOf(spec: string): Recipient {
  // A key ends in '=' (base64): the name ends at the '=' before the key or the UUID.
  const m = /^(.*?)=\s*(ed25519:.*|[0-9a-f]{8}-[^=]*)$/i.exec(spec.trim());
  const name = m?.[1]!.trim() ?? '';
  const who = m?.[2]!.trim() ?? '';
  if (name === '' || who === '') throw new ExchangeError(`recipient ${JSON.stringify(spec)}: write NAME=ed25519:<its feed key> or NAME=<its MISP organisation UUID>`);
  return recipientNamed(name, who);
}

/** A partner named by its derisk feed key (its organisation UUID is derived as its feed derives it) or its MISP organisation UUID. */
export function recipientNamed(name: string, who: string): Recipient {
  if (who.startsWith('ed25519:')) {
    parsePublicKey(who);
    return { name, uuid: nameUuid(`publisher/${who}`) };
  }
  if (!UUID.test(who.toLowerCase())) throw new ExchangeError(`recipient ${name}: ${JSON.stringify(who)} is neither a derisk feed key (ed25519:…) nor an organisation UUID`);
  return { name, uuid: who.toLowerCase() };
}

const signedPayload = (s: { publisher: string; keyId: string; sequence: number; publishedAt: string; manifestSha256: string }) => Buffer.from(JSON.stringify([SIG_FORMAT, s.publisher, s.keyId, s.sequence, s.publishedAt, s.manifestSha256]));

/**
 * Writes the events, the manifest and its signature into `dir`; the sequence only grows, and is
 * above `sequenceAfter` (after a restore, the last sequence a partner took from a later feed).
 */
export function writeFeed(home: string, dir: string, events: { Event: Record<string, unknown> }[], now = new Date(), sequenceAfter = 0): { files: number; sequence: number; manifestSha256: string } {
  const id = feedIdentity(home);
  const p = keyPaths(home);
  const privateKey = createPrivateKey(readFileSync(p.key));
  // A feed in the home (the one derisk serve serves) is owner-only, as the home is; one published
  // elsewhere is for another server to serve, and keeps the umask's modes.
  const inHome = resolve(dir).startsWith(resolve(home) + sep);
  const write = (path: string, data: string) => (inHome ? writeOwnerOnly(path, data) : writeFileSync(path, data));
  mkdirSync(dir, { recursive: true, ...(inHome ? { mode: OWNER_ONLY_DIR } : {}) });
  const manifest: Record<string, unknown> = {};
  for (const e of events) {
    const body = JSON.stringify(e, null, 1);
    write(join(dir, `${e.Event.uuid}.json`), body);
    manifest[e.Event.uuid as string] = manifestEntry(e, sha256Hex(body));
  }
  const manifestText = JSON.stringify(manifest, null, 1);
  const previous = Math.max(existsSync(p.state) ? (JSON.parse(readFileSync(p.state, 'utf8')) as { sequence: number }).sequence : 0, readSequence(dir), sequenceAfter);
  const sig = { format: SIG_FORMAT, publisher: id.publisher, keyId: id.keyId, sequence: previous + 1, publishedAt: now.toISOString(), manifestSha256: sha256Hex(manifestText) };
  write(join(dir, 'manifest.json'), manifestText);
  write(join(dir, 'manifest.json.sig'), JSON.stringify({ ...sig, signature: sign(null, signedPayload(sig), privateKey).toString('base64') }, null, 1) + '\n');
  writeOwnerOnly(p.state, JSON.stringify({ sequence: sig.sequence, publishedAt: sig.publishedAt }) + '\n');
  return { files: events.length, sequence: sig.sequence, manifestSha256: sig.manifestSha256 };
}

function readSequence(dir: string): number {
  try {
    return Number((JSON.parse(readFileSync(join(dir, 'manifest.json.sig'), 'utf8')) as { sequence?: unknown }).sequence) || 0;
  } catch {
    return 0;
  }
}

/** Reads one file of a feed from a directory or over HTTP(S). */
export type FeedReader = (name: string) => Promise<Buffer>;

/**
 * Reads over HTTP(S) only from an allowed origin, connecting only to addresses the guarded lookup
 * checked at that moment (a name that now resolves inward is refused), and follows no redirect.
 */
export function feedReader(source: string, allowed: FeedOrigins = NO_FEED_ORIGINS): FeedReader {
  if (isFeedUrl(source)) {
    const base = source.endsWith('/') ? source : `${source}/`;
    return async (name) => {
      const url = allowedFeedUrl(new URL(name, base).href, allowed);
      return httpGet(url, source, name, allowed.destinations);
    };
  }
  const dir = resolve(source);
  return async (name) => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new FeedRefused(`${name}: missing from the feed ${dir}`);
    return readFileSync(path);
  };
}

function httpGet(url: URL, source: string, name: string, policy: DestinationPolicy): Promise<Buffer> {
  return new Promise((done, fail) => {
    const refuse = (e: Error) => fail(e instanceof FeedRefused ? e : e instanceof DestinationError ? new FeedRefused(e.message) : new FeedRefused(`${source} could not be reached (${e.message})`));
    try {
      checkLiteral(url.hostname, policy);
    } catch (e) {
      return refuse(e as Error);
    }
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { lookup: guardedLookup(policy), agent: false, signal: AbortSignal.timeout(60_000) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return refuse(new FeedRefused(`${name}: ${source} answered ${res.statusCode}${res.statusCode && res.statusCode >= 300 && res.statusCode < 400 ? ' (a redirect, not followed)' : ''}`));
      }
      if (Number(res.headers['content-length'] ?? 0) > MAX_FILE) {
        res.destroy();
        return refuse(new FeedRefused(`${name}: larger than ${MAX_FILE} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_FILE) res.destroy(new FeedRefused(`${name}: larger than ${MAX_FILE} bytes`));
        else chunks.push(c);
      });
      res.on('error', refuse);
      res.on('end', () => done(Buffer.concat(chunks)));
    });
    request.on('error', refuse);
    request.end();
  });
}

export interface VerifiedFeed {
  publisher: string;
  sequence: number;
  publishedAt: string;
  manifestSha256: string;
  items: ReceivedItem[];
  refused: Refused[];
  /** The manifest last taken, unchanged: nothing to do. */
  unchanged?: boolean;
}

/**
 * Verifies a feed against the key subscribed with and the last sequence taken, then reads its
 * items. Any failure refuses the whole feed with the reason: nothing of a feed that does not
 * verify is taken.
 */
export async function readVerifiedFeed(read: FeedReader, subscribed: { publicKey: string; keyId: string; lastSequence: number | null; lastManifest: string | null }, self?: Publisher): Promise<VerifiedFeed> {
  let sig: { format?: unknown; publisher?: unknown; keyId?: unknown; sequence?: unknown; publishedAt?: unknown; manifestSha256?: unknown; signature?: unknown };
  try {
    sig = JSON.parse((await read('manifest.json.sig')).toString('utf8'));
  } catch (e) {
    throw e instanceof FeedRefused ? new FeedRefused(`unsigned feed: ${e.message}`) : new FeedRefused(`manifest.json.sig is not readable JSON`);
  }
  if (sig.format !== SIG_FORMAT || typeof sig.publisher !== 'string' || typeof sig.keyId !== 'string' || !Number.isSafeInteger(sig.sequence) || typeof sig.publishedAt !== 'string' || typeof sig.manifestSha256 !== 'string' || typeof sig.signature !== 'string') {
    throw new FeedRefused(`manifest.json.sig is not a ${SIG_FORMAT} signature`);
  }
  const s = sig as { publisher: string; keyId: string; sequence: number; publishedAt: string; manifestSha256: string; signature: string };
  if (s.keyId !== subscribed.keyId) throw new FeedRefused(`signed with an unknown key ${s.keyId} (this subscription trusts ${subscribed.keyId} only)`);
  if (!verify(null, signedPayload(s), parsePublicKey(subscribed.publicKey), Buffer.from(s.signature, 'base64'))) throw new FeedRefused(`the signature does not verify with key ${subscribed.keyId}: the signed manifest record was changed or signed by another key`);
  const manifestText = await read('manifest.json');
  if (sha256Hex(manifestText) !== s.manifestSha256) throw new FeedRefused('manifest.json does not match the SHA-256 that was signed: it was changed after signing (tampered)');
  if (subscribed.lastSequence !== null && s.sequence === subscribed.lastSequence && s.manifestSha256 === subscribed.lastManifest) return { publisher: s.publisher, sequence: s.sequence, publishedAt: s.publishedAt, manifestSha256: s.manifestSha256, items: [], refused: [], unchanged: true };
  if (subscribed.lastSequence !== null && s.sequence <= subscribed.lastSequence) throw new FeedRefused(`manifest sequence ${s.sequence} is not newer than ${subscribed.lastSequence}, already pulled: a replayed older manifest`);
  const manifest = JSON.parse(manifestText.toString('utf8')) as Record<string, { 'integrity:sha256'?: unknown }>;
  const items: ReceivedItem[] = [];
  const refused: Refused[] = [];
  const events: [string, unknown][] = [];
  // Every file is checked before anything is read from any of them.
  for (const [uuid, entry] of Object.entries(manifest)) {
    if (!UUID.test(uuid)) throw new FeedRefused(`manifest.json lists ${JSON.stringify(uuid.slice(0, 80))}, which is not an event UUID`);
    const body = await read(`${uuid}.json`);
    if (typeof entry['integrity:sha256'] !== 'string') throw new FeedRefused(`manifest.json gives no integrity:sha256 for ${uuid}.json`);
    if (sha256Hex(body) !== entry['integrity:sha256']) throw new FeedRefused(`${uuid}.json does not match its SHA-256 in the signed manifest (tampered)`);
    events.push([`${uuid}.json`, JSON.parse(body.toString('utf8'))]);
  }
  for (const [file, doc] of events) {
    const r = readMispEvent(doc, file, 'feed', self);
    items.push(...r.items);
    refused.push(...r.refused);
  }
  return { publisher: s.publisher, sequence: s.sequence, publishedAt: s.publishedAt, manifestSha256: s.manifestSha256, items, refused };
}

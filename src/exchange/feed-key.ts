import { createPrivateKey, createPublicKey } from 'node:crypto';
import { sha256Hex } from '../sha256.ts';

/** The DER prefix of an Ed25519 public key in SPKI form: the key's 32 bytes follow it. */
export const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** A feed key's id: the start of the SHA-256 of its public half in SPKI form. */
export const keyIdOfSpki = (spki: Buffer): string => sha256Hex(spki).slice(0, 16);

/**
 * The public key (`ed25519:…`, as subscribers pass it) and key id of a feed's private key, taken
 * from the key itself: what a file claims about a key is checked against this, never trusted.
 */
export function publicIdentityOf(privateKeyPem: Buffer): { publicKey: string; keyId: string } {
  const spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' });
  if (!spki.subarray(0, SPKI_ED25519.length).equals(SPKI_ED25519) || spki.length !== SPKI_ED25519.length + 32) throw new Error('not an Ed25519 key');
  return { publicKey: `ed25519:${spki.subarray(SPKI_ED25519.length).toString('base64')}`, keyId: keyIdOfSpki(spki) };
}

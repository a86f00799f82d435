import { createHash } from 'node:crypto';

/** The SHA-256 of a string (as UTF-8) or of bytes, in hexadecimal: what every digest derisk records or compares is. */
export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

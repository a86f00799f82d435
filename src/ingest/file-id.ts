import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { streamableFile } from '../text-file.ts';

/**
 * A file's identity is its content: the same bytes under another name are the same input. Every
 * ingest kind and `screen --export` read the file here first, so one missing or a directory is named.
 */
export async function fileId(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(streamableFile(path), { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The hash of a file's first `bytes` bytes: whether it begins as a file seen before did. */
export async function prefixId(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes > 0) for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

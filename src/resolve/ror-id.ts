import { asTyped } from './normalize.ts';

// Kept apart from the matcher so that the CLI, the HTTP routes and the assessment read a ROR id the
// same way without loading the registry code.

/**
 * A ROR id as people write it: bare, as `ror:<id>`, or as its URL (http or https, www., doubled or
 * trailing slashes, a query or fragment after it), in any case.
 */
const ROR_ID_WRITTEN = /^(?:ror:|(?:https?:\/\/)?(?:www\.)?ror\.org\/+)?(0[a-hj-km-np-tv-z0-9]{6}[0-9]{2})\/*(?:[?#]\S*)?$/i;

/**
 * The ROR id a query is, when it is one ("https://ror.org/03cve4549/", "03CVE4549", "<ror:03cve4549>");
 * null for a name. Read as names are: compatibility forms folded (full-width digits), invisible
 * format characters (a zero-width space pasted with it) removed.
 */
export function rorIdWritten(text: string): string | null {
  const plain = asTyped(text).replace(/^<\s*(.*?)\s*>$/, '$1');
  return ROR_ID_WRITTEN.exec(plain)?.[1]!.toLowerCase() ?? null;
}

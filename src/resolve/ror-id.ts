// Kept apart from the matcher so that the CLI, the HTTP routes and the assessment read a ROR id the
// same way without loading the registry code.

/** A ROR id as people write it: bare or as its URL (http or https, www., a trailing slash), in any case. */
const ROR_ID_WRITTEN = /^\s*(?:(?:https?:\/\/)?(?:www\.)?ror\.org\/)?(0[a-hj-km-np-tv-z0-9]{6}[0-9]{2})\/?\s*$/i;

/** The ROR id a query is, when it is one ("https://ror.org/03cve4549/", "03CVE4549"); null for a name. */
export function rorIdWritten(text: string): string | null {
  return ROR_ID_WRITTEN.exec(text)?.[1]!.toLowerCase() ?? null;
}

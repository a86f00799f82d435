/**
 * The most characters a party field screened as one may hold (a `screen` name, a `--batch` line, an HTTP screen request, a
 * case's party): the longest name a registry or a list holds is far shorter, and a field of many parties is read in work
 * that grows with its length (several.maxPieces bounds it). Round 49 (bound52), after an outside red team's 100 KB fields; the
 * 500 a batch line and the HTTP screen request already took (round 44) is now every way in's, refused over it, never cut.
 */
export const MAX_PARTY_CHARS = 500;

/** Why a party field is refused, naming where it was given, or undefined within the bound. */
export const overPartyLimit = (where: string, field: string): string | undefined => (field.length > MAX_PARTY_CHARS ? `${where} is ${field.length} characters, over the ${MAX_PARTY_CHARS} a party field may hold: name each partner on its own` : undefined);

/**
 * The mode of a directory derisk creates (a home, the folder of a store or application database):
 * its owner's alone, since the databases in it hold every organisation's cases, verdicts and
 * password hashes. A directory that already exists keeps its mode.
 */
export const OWNER_ONLY_DIR = 0o700;

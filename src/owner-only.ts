/**
 * The mode of a directory derisk creates (a home, the folder of a store or application database):
 * its owner's alone, since the databases in it hold every organisation's cases, verdicts and
 * password hashes. A directory that already exists keeps its mode.
 */
export const OWNER_ONLY_DIR = 0o700;

/**
 * The mode of a file derisk creates that holds what the home holds (the application database,
 * whose write-ahead log and shared-memory files SQLite creates with the database's mode; a
 * backup): its owner's alone, whatever the directory around it allows.
 */
export const OWNER_ONLY_FILE = 0o600;

/**
 * What the listed affiliations hold and how a co-publication is counted from them
 * (src/screening/store.ts). A store whose tables were built by another definition has them rebuilt
 * when it is opened: before 2, one row per work and institution counted a partner's own hospital as
 * another listed entity; 2 missed a listed affiliation placed at no institution. Its own module so
 * that opening a store reads it without loading the screening code.
 */
export const LISTED_DEFINITION = '3';

import { tempDir, writeTemp } from './fixtures.ts';

export const WATCHLIST_PROVENANCE = { id: 'my-watchlist', title: 'Our office watchlist', publisher: 'Research Security Office', source_url: 'https://example.org/watchlist', retrieved: '2026-11-01', licence: 'internal' };

/** A user watchlist file in derisk's format. */
export const watchlist = (entries: object[], list: object = WATCHLIST_PROVENANCE, dir = tempDir()) => writeTemp('watchlist.json', JSON.stringify({ list, entries }), dir);

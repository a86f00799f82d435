import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.ts';

export type SourceKind = 'ror' | 'openalex' | 'wos' | 'scopus' | 'aggregate' | 'nsf';

export interface DataSource {
  id: string;
  kind: SourceKind;
  title: string;
  /** Path inside the mirror directory (DERISK_MIRROR). */
  mirrorPath: string;
  /** Where a user outside this network gets the same data. */
  publicUrl: string;
  licence: string;
  /** Whether the main job loads it. */
  inDemo: boolean;
}

/** The public datasets derisk knows, where the mirror keeps them and where they come from. */
export const SOURCES: DataSource[] = [
  {
    id: 'ror',
    kind: 'ror',
    title: 'Research Organization Registry (ROR) records, schema v2',
    mirrorPath: 'ror-records-union/ror_records_latest_v2.jsonl.gz',
    publicUrl: 'https://zenodo.org/communities/ror-data (full data dump, zip); per-release records: https://github.com/ror-community/ror-records',
    licence: 'CC0-1.0',
    inDemo: true,
  },
  {
    id: 'openalex-tu9-sample',
    kind: 'openalex',
    title: 'OpenAlex works, 410-record API sample (2022 shape)',
    mirrorPath: 'openalex-works-sample-tu9/works_tu9_2022_api.json.gz',
    publicUrl: 'https://api.openalex.org/works (or the snapshot: https://docs.openalex.org/download-all-data/openalex-snapshot)',
    licence: 'CC0-1.0',
    inDemo: true,
  },
  {
    id: 'wos-ble-sample',
    kind: 'wos',
    title: 'Web of Science export, tab-delimited full records (4,071 records)',
    mirrorPath: 'wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz',
    publicUrl: 'https://github.com/jpruiz84/ScientoPy/tree/master/dataInExample (Clarivate terms: local use only)',
    licence: 'Clarivate Web of Science terms (test use only)',
    inDemo: true,
  },
  {
    id: 'scopus-litstudy-sample',
    kind: 'scopus',
    title: 'Scopus CSV export (58 records)',
    mirrorPath: 'scopus-export-sample-litstudy/scopus.csv',
    publicUrl: 'https://github.com/NLeSC/litstudy/blob/master/tests/resources/scopus.csv (Elsevier terms)',
    licence: 'Elsevier Scopus terms (test use only)',
    inDemo: true,
  },
  {
    id: 'openalex-country-pairs',
    kind: 'aggregate',
    title: 'OpenAlex country × country co-authored works per year, 1990–2023 (aggregate, all fields)',
    mirrorPath: 'openalex-country-coauthorship-1990-2023/country_pair_coauthored_works_1990_2023.csv.gz',
    publicUrl: 'https://github.com/bavla/OpenAlex/tree/master/Countries (Pajek networks; derisk reads the tidy CSV form)',
    licence: 'OpenAlex data CC0 (counts only)',
    inDemo: true,
  },
  {
    id: 'nsf-sei2024-ai-articles',
    kind: 'nsf',
    title: 'NSF NCSES Science & Engineering Indicators 2024, table 10067: AI-related articles by coauthorship attribute and country, 2003–22 (aggregate)',
    mirrorPath: 'ncses-sei2024-ai-publication-indicators/10067/data.csv',
    publicUrl: 'https://ncses.nsf.gov/pubs/nsb20243 (Science & Engineering Indicators 2024, Publications Output)',
    licence: 'U.S. Government work (public domain)',
    inDemo: true,
  },
];

export function sourceById(id: string): DataSource {
  const s = SOURCES.find((x) => x.id === id);
  if (!s) throw new Error(`unknown source ${JSON.stringify(id)}; known: ${SOURCES.map((x) => x.id).join(', ')}`);
  return s;
}

/** The mirror copy of a source, or an error that tells the user where to get it. */
export function locate(config: Config, source: DataSource): string {
  const path = join(config.mirror, source.mirrorPath);
  if (!existsSync(path)) {
    throw new Error(`${source.title} is not in the mirror (${path}). Set DERISK_MIRROR to a directory holding ${source.mirrorPath}, or download it from ${source.publicUrl}`);
  }
  return path;
}

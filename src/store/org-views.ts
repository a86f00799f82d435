/**
 * The views derisk makes in an organisation's corrected view (src/resolve/org-view.ts,
 * src/store/refresh.ts), by name: the shared base's rows where the view decides nothing, and the
 * view's own rows where it does. The one definition of each: a restore makes them from here, never
 * from the body a backup's schema.sql gives (which could select anything).
 */
export const ORG_VIEWS: Readonly<Record<string, (schema: string) => string>> = {
  resolutions: (schema) => ownOrShared(schema, 'resolutions'),
  resolution_institutions: (schema) => ownOrShared(schema, 'resolution_institutions'),
  resolution_companies: (schema) => ownOrShared(schema, 'resolution_companies'),
  work_affiliations: (schema) => ownWorksOrShared(schema, 'work_affiliations'),
  work_institutions: (schema) => ownWorksOrShared(schema, 'work_institutions'),
  patent_applicant_places: (schema) => `SELECT * FROM main.patent_applicant_places WHERE name NOT IN (SELECT raw FROM ${schema}.own_resolutions) UNION ALL SELECT * FROM ${schema}.own_patent_applicant_places`,
};

/** The shared base's rows of a resolution table for the strings an organisation's view does not decide, and the view's own rows for those it does. */
export const ownOrShared = (schema: string, table: string): string => `SELECT * FROM main.${table} WHERE raw NOT IN (SELECT raw FROM ${schema}.own_resolutions) UNION ALL SELECT * FROM ${schema}.own_${table}`;

/** The shared base's rows of a work table for the works the view does not count again, and the view's own for those it does. */
const ownWorksOrShared = (schema: string, table: string): string => `SELECT * FROM main.${table} WHERE work_id NOT IN (SELECT work_id FROM ${schema}.corrected_works) UNION ALL SELECT * FROM ${schema}.own_${table}`;

/** The schema of an organisation's view, as src/store/store.ts orgSchemaOf names it. */
export const ORG_SCHEMA = /^org_[0-9a-f]{16}$/;

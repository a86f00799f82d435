/**
 * How an institution the loaded registry does not hold is named: sources (OpenAlex) give ROR ids
 * the partial registry lacks, and a bare id would read as a name. The name the source gave it
 * (table source_institutions, src/store/refresh.sql), saying the registry lacks it; the id alone
 * only where no source named it.
 */
export const unregistered = (id: string) => `ROR ${id} (not in the loaded registry)`;

/** SQL: the name a source gave, with the id and the note; `name` and `id` are SQL expressions. */
export const sourceNamedSql = (name: string, id: string) => `${name} || ' (ROR ' || ${id} || ', not in the loaded registry)'`;

/** SQL: how the institution whose id is the expression `id` is named when the registry lacks it. */
export const unregisteredSql = (id: string) => `coalesce((SELECT ${sourceNamedSql('s.name', 's.ror_id')} FROM source_institutions s WHERE s.ror_id = ${id}), 'ROR ' || ${id} || ' (not in the loaded registry)')`;

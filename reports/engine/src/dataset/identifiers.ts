/**
 * The only names that ever reach SQL text: column and relation names from a dataset definition, checked
 * against this allow-list when the dataset is parsed and quoted again when the SQL is written. Nothing a
 * report user types is a name; their input travels as bound parameters.
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Ids of dimensions, measures, parameters and lookups: keys in JSON, never SQL. */
export const FIELD_ID = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export const DATASET_ID = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** System objects a dataset may not name, whatever the database would allow. */
export function isSystemName(name: string): boolean {
  return name.startsWith('pg_') || name === 'information_schema' || name === 'system' || name.startsWith('shuiyun_');
}

export function assertIdentifier(name: string): string {
  if (!SQL_IDENTIFIER.test(name) || isSystemName(name)) throw new Error(`not an allowed SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/** A PostgreSQL quoted identifier of an allow-listed name. */
export const pgIdent = (name: string) => `"${assertIdentifier(name)}"`;

/** A ClickHouse quoted identifier of an allow-listed name. */
export const chIdent = (name: string) => `\`${assertIdentifier(name)}\``;

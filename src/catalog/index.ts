// The catalog: SQLite index of stored objects (DESIGN.md section 7), its schema, and off-thread readers.
export { Catalog, type InsertResult, type InstanceRecord, type LastRun, type StoredInstance } from "./catalog.js";
export { CatalogReader, type CatalogReaderOptions, type RowsHandler } from "./reader.js";
export { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from "./schema.js";
export {
  attributesJson,
  cleanAttributes,
  INSTANCE_COLUMNS,
  MAX_INLINE_BINARY,
  PATIENT_COLUMNS,
  SERIES_COLUMNS,
  STUDY_COLUMNS,
  type LevelColumn,
} from "./attributes.js";

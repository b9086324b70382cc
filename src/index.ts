// Conduit's public API: the server, the client, configuration and the pieces embedders need.
export { Server, type ServerOptions } from "./server.js";
export { Client, ClientAssociation, type ClientOptions, type ProposedContext, type DimseResult } from "./client.js";
export { storeFiles, collectFiles, type StoreSummary, type StoreProgress, type StoreFileResult } from "./services/c-store-scu.js";
export { loadConfig, parseConfig, validateConfig, type ConfigProblem } from "./config/load.js";
export { ConfigSchema, type Config, type ConfigInput } from "./config/schema.js";
export { ConduitError, ErrorCodes, type ErrorCode } from "./errors.js";
export { Status, statusName, statusCategory, type StatusCategory } from "./dimse/status.js";
export { DataSet } from "./dicom/dataset.js";
export { newUid } from "./dicom/uid.js";
export { parseRules, checkRules, formatDiagnostic, type Diagnostic, type RuleFile, type CheckContext } from "./rules/index.js";
export { RuleSet, type Decision } from "./router/rule-set.js";
export { Outbox } from "./outbox/outbox.js";
export { JobStore, type JobRow, type JobState, type JobFilter } from "./outbox/job-store.js";
export { PluginSet, checkPlugins, type PluginStatus, type PluginFailure } from "./plugins/index.js";

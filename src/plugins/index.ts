// The QuickJS plugin host (DESIGN.md section 5): what the server, `conduit check` and health reporting use.
export { PluginSet, checkPlugins, listPluginFiles, type PluginLoadOptions, type PluginStatus, type QueryResult } from "./plugin-set.js";
export { PLUGIN_FAILURE_RESPONSES, PLUGIN_FAILED_STATUS, PROCESSING_FAILURE_STATUS, type FailureResponse, type PluginFailure, type PluginFailureReason } from "./failures.js";
export { recordToDataSet, checkAnswer, type AnswerRecord, type AnswerValue } from "./answers.js";
export { FILTER_KEYS, type FilterKey } from "./filters.js";
export { MAX_STACK_BYTES } from "./sandbox.js";
export { memoryCapBytes } from "./wasm-instance.js";
export { KV_LIMITS } from "./host-api.js";
export type { BackendKind } from "./plugin.js";

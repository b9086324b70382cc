// What an event gets when a plugin fails on it (threw, ran out of time, memory or stack, or returned an
// invalid decision): one documented response per event, carried as data for the caller to send.
import type { EventName } from "../rules/ast.js";
import type { SandboxErrorKind } from "./sandbox.js";

export type PluginFailureReason = SandboxErrorKind | "invalid-decision" | "invalid-answer";

/**
 * Conduit's own status for "a plugin failed": in the 0xCxxx range, which PS3.4 defines as "Error: cannot
 * understand" for C-STORE and "Failed: unable to process" for C-FIND, C-MOVE and C-GET.
 */
export const PLUGIN_FAILED_STATUS = 0xc0f1;
/** PS3.7 C.4.2 Processing failure: for C-ECHO and N-ACTION (storage commitment) responses. */
export const PROCESSING_FAILURE_STATUS = 0x0110;

export type FailureResponse =
  /** A DIMSE status (with an error comment) for the request the event belongs to. */
  | { kind: "status"; status: number }
  /** A-ASSOCIATE-RJ: rejected-transient, service-user, no-reason-given (PS3.8 9.3.4). */
  | { kind: "reject-association"; result: 2; source: 1; reason: 1; transient: true }
  /** The event has no response (it happens after the fact): the failure is logged only. */
  | { kind: "none" };

/** The failure table, by event. */
export const PLUGIN_FAILURE_RESPONSES: Readonly<Record<EventName, FailureResponse>> = {
  associate: { kind: "reject-association", result: 2, source: 1, reason: 1, transient: true },
  echo: { kind: "status", status: PROCESSING_FAILURE_STATUS },
  store: { kind: "status", status: PLUGIN_FAILED_STATUS },
  stored: { kind: "none" },
  "study-stable": { kind: "none" },
  find: { kind: "status", status: PLUGIN_FAILED_STATUS },
  worklist: { kind: "status", status: PLUGIN_FAILED_STATUS },
  move: { kind: "status", status: PLUGIN_FAILED_STATUS },
  get: { kind: "status", status: PLUGIN_FAILED_STATUS },
  commit: { kind: "status", status: PROCESSING_FAILURE_STATUS },
  release: { kind: "none" },
};

export interface PluginFailure {
  /** Plugin name: the file name without ".js". */
  plugin: string;
  file: string;
  event: EventName;
  reason: PluginFailureReason;
  message: string;
  response: FailureResponse;
  /** Error comment (0000,0902) for a status response: at most 64 characters (LO). */
  comment: string;
  /** The plugin has just been disabled by this failure (maxFailures consecutive failures). */
  disabled: boolean;
}

const REASON_TEXT: Record<PluginFailureReason, string> = {
  threw: "threw an error",
  timeout: "ran out of time",
  memory: "ran out of memory",
  stack: "overflowed its stack",
  "host-error": "broke its runtime",
  "invalid-decision": "returned an invalid decision",
  "invalid-answer": "returned an invalid answer",
};

export function describeReason(reason: PluginFailureReason): string {
  return REASON_TEXT[reason];
}

export function makeFailure(plugin: string, file: string, event: EventName, reason: PluginFailureReason, message: string, disabled: boolean): PluginFailure {
  return {
    plugin,
    file,
    event,
    reason,
    message,
    response: PLUGIN_FAILURE_RESPONSES[event],
    comment: `plugin ${plugin} ${REASON_TEXT[reason]}`.slice(0, 64),
    disabled,
  };
}

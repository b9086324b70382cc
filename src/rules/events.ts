// What each event offers a rule (DESIGN.md section 3): its actions, and whether conditions can read a data set.
import type { ActionKind, EventName } from "./ast.js";

export interface EventSpec {
  /** Actions a rule for this event may take. */
  actions: readonly ActionKind[];
  /** Conditions may test data set attributes (the object, the query identifier, or none). */
  dataset: "object" | "identifier" | "none";
  /** "local" is meaningful (move/get). */
  local: boolean;
}

const COERCE: ActionKind[] = ["set", "remove", "copy", "replace", "map"];
const COMMON: ActionKind[] = ["stop", "log"];

export const EVENT_SPECS: Readonly<Record<EventName, EventSpec>> = {
  associate: { actions: ["accept", "reject", "restrict", ...COMMON], dataset: "none", local: false },
  echo: { actions: [...COMMON], dataset: "none", local: false },
  store: {
    actions: ["reject", ...COERCE, "new-uids", "store-at", "discard", "forward", "run", ...COMMON],
    dataset: "object",
    local: false,
  },
  stored: { actions: ["forward", "run", ...COMMON], dataset: "object", local: false },
  "study-stable": { actions: ["forward", "run", ...COMMON], dataset: "object", local: false },
  find: { actions: ["reject", "answer-from", ...COERCE, ...COMMON], dataset: "identifier", local: false },
  worklist: { actions: ["reject", "answer-from", ...COERCE, ...COMMON], dataset: "identifier", local: false },
  move: { actions: ["reject", "retrieve-from", "destination", ...COERCE, ...COMMON], dataset: "identifier", local: true },
  get: { actions: ["reject", "retrieve-from", ...COERCE, ...COMMON], dataset: "identifier", local: true },
  commit: { actions: ["report", ...COMMON], dataset: "none", local: false },
  release: { actions: ["run", ...COMMON], dataset: "none", local: false },
};

/** PS3.8 9.3.4 rejection reasons as rules name them: [source, reason, default result]. */
export const REJECT_REASONS: Readonly<Record<string, { source: number; reason: number }>> = {
  "no-reason-given": { source: 1, reason: 1 },
  "application-context-name-not-supported": { source: 1, reason: 2 },
  "calling-ae-not-recognized": { source: 1, reason: 3 },
  "called-ae-not-recognized": { source: 1, reason: 7 },
  "protocol-version-not-supported": { source: 2, reason: 2 },
  "temporary-congestion": { source: 3, reason: 1 },
  "local-limit-exceeded": { source: 3, reason: 2 },
};

/** Default DIMSE status of "reject" when none is given: 0x0124 Refused: Not authorized (PS3.7 C.5). */
export const DEFAULT_REJECT_STATUS = 0x0124;

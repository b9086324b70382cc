// What a rule sees when it runs: the event, its origin (association fields) and its data set, if any.
import type { DataSet } from "../dicom/dataset.js";
import type { AssociationField, EventName } from "../rules/ast.js";

export interface EventOrigin {
  callingAE: string;
  calledAE: string;
  address: string;
  associationId: string;
}

export interface EventContext {
  event: EventName;
  origin: EventOrigin;
  /** The object (store, stored, study-stable) or the query identifier (find, worklist, move, get). */
  dataset?: DataSet;
  /** move/get: every requested object is in the local catalog. */
  local?: () => boolean;
  now: Date;
  /** Values already read during this evaluation, by memo id (memoId); a coercion drops the ids of its slots. */
  memo?: unknown[];
}

export function fieldValue(ctx: EventContext, name: AssociationField): string {
  switch (name) {
    case "CallingAE":
      return ctx.origin.callingAE;
    case "CalledAE":
      return ctx.origin.calledAE;
    case "PeerAddress":
      return ctx.origin.address;
    case "AssociationId":
      return ctx.origin.associationId;
  }
}

/** The memo slot of a path: its first step's tag; private steps share their group's slot. -1 holds times. */
export function memoTag(step: { tag: number; privateCreator?: string }): number {
  return step.privateCreator ? (step.tag >>> 16) << 16 : step.tag;
}

// Memo ids are interned once per distinct (slot, key) at compile time, so reads during evaluation index an array.
const IDS = new Map<string, number>();
const IDS_BY_SLOT = new Map<number, number[]>();

/** The id of a value read from the attributes of `slots` (several for a condition reading several attributes). */
export function memoId(slots: number | readonly number[], key: string): number {
  const list = typeof slots === "number" ? [slots] : slots;
  const k = `${list.join(",")}|${key}`;
  let id = IDS.get(k);
  if (id === undefined) {
    id = IDS.size;
    IDS.set(k, id);
    for (const slot of list) {
      const l = IDS_BY_SLOT.get(slot) ?? [];
      l.push(id);
      IDS_BY_SLOT.set(slot, l);
    }
  }
  return id;
}

export function memoGet(ctx: EventContext, id: number): unknown {
  return ctx.memo?.[id];
}

export function memoSet(ctx: EventContext, id: number, value: unknown): void {
  if (ctx.memo) ctx.memo[id] = value;
}

/** Forgets what was read from attributes of these slots ("all": everything). */
export function memoDrop(ctx: EventContext, slots: Iterable<number> | "all"): void {
  const memo = ctx.memo;
  if (!memo) return;
  if (slots === "all") {
    memo.length = 0;
    return;
  }
  for (const slot of slots) for (const id of IDS_BY_SLOT.get(slot) ?? []) memo[id] = undefined;
}

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

// DIMSE status codes and their categories (PS3.7 Annex C; service-specific codes from PS3.4).

export const Status = {
  Success: 0x0000,
  Cancel: 0xfe00,
  Pending: 0xff00,
  PendingWarning: 0xff01,
  // general (PS3.7 C.4)
  RefusedSopClassNotSupported: 0x0122,
  ClassInstanceConflict: 0x0119,
  DuplicateSopInstance: 0x0111,
  DuplicateInvocation: 0x0210,
  InvalidArgumentValue: 0x0115,
  InvalidAttributeValue: 0x0106,
  InvalidObjectInstance: 0x0117,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  MistypedArgument: 0x0212,
  NoSuchAction: 0x0123,
  NoSuchArgument: 0x0114,
  NoSuchAttribute: 0x0105,
  NoSuchEventType: 0x0113,
  NoSuchObjectInstance: 0x0112,
  NoSuchSopClass: 0x0118,
  ProcessingFailure: 0x0110,
  ResourceLimitation: 0x0213,
  UnrecognizedOperation: 0x0211,
  NotAuthorized: 0x0124,
  // C-STORE (PS3.4 B.2.3)
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb007,
  DataSetDoesNotMatchSopClassWarning: 0xb006,
  // Q/R (PS3.4 C.4)
  OutOfResourcesMatches: 0xa700,
  OutOfResourcesSubOperations: 0xa702,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
  MoveDestinationUnknown: 0xa801,
  SubOperationsCompleteWithFailures: 0xb000,
} as const;

export type StatusCategory = "success" | "warning" | "failure" | "cancel" | "pending";

/** PS3.7 C.1: the category of a status value. */
export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return "success";
  if (status === 0xfe00) return "cancel";
  if (status === 0xff00 || status === 0xff01) return "pending";
  if (status === 0x0001 || (status >= 0xb000 && status <= 0xbfff) || status === 0x0107 || status === 0x0116) return "warning";
  return "failure";
}

const NAMES: Record<number, string> = {
  0x0000: "Success",
  0xfe00: "Cancel",
  0xff00: "Pending",
  0xff01: "Pending (optional keys not supported)",
  0x0122: "Refused: SOP Class not supported",
  0x0111: "Duplicate SOP Instance",
  0x0110: "Processing failure",
  0x0124: "Refused: not authorized",
  0x0211: "Unrecognized operation",
  0x0213: "Resource limitation",
  0xa700: "Refused: out of resources",
  0xa702: "Refused: out of resources (sub-operations)",
  0xa801: "Refused: move destination unknown",
  0xa900: "Error: data set does not match SOP Class",
  0xb000: "Warning: coercion of data elements / sub-operations complete with failures",
  0xb006: "Warning: elements discarded / data set does not match SOP Class",
  0xb007: "Warning: data set does not match SOP Class",
  0xc000: "Error: cannot understand",
};

export function statusName(status: number): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = NAMES[status] ?? (status >= 0xa700 && status <= 0xa7ff ? "Refused: out of resources" : undefined) ??
    ((status & 0xf000) === 0xc000 ? "Error: cannot understand" : undefined);
  return name ? `${hex} ${name}` : hex;
}

// The one error registry: every error Conduit raises has a stable code listed here (Fastify-style).

export const ErrorCodes = {
  // configuration
  CONFIG_INVALID: "configuration is invalid",
  CONFIG_UNREADABLE: "configuration file cannot be read",
  // upper layer (PS3.8)
  UL_PDU_MALFORMED: "malformed PDU",
  UL_PDU_TOO_LARGE: "PDU longer than the negotiated maximum",
  UL_PDU_UNEXPECTED: "PDU not valid in the current association state",
  UL_PDU_UNRECOGNIZED: "unrecognized PDU type",
  UL_ASSOCIATION_REJECTED: "association rejected by the peer",
  UL_ASSOCIATION_ABORTED: "association aborted",
  UL_CONNECTION_FAILED: "connection to the peer failed",
  UL_TIMEOUT: "timed out waiting for the peer",
  UL_NOT_ESTABLISHED: "association is not established",
  UL_NO_PRESENTATION_CONTEXT: "no accepted presentation context fits",
  // message exchange (PS3.7)
  DIMSE_COMMAND_MALFORMED: "malformed DIMSE command set",
  DIMSE_UNEXPECTED_MESSAGE: "unexpected DIMSE message",
  DIMSE_FAILURE_STATUS: "DIMSE operation failed",
  DIMSE_TIMEOUT: "timed out waiting for a DIMSE response",
  // data sets and files
  DICOM_PARSE: "data set cannot be parsed",
  DICOM_NOT_PART10: "not a DICOM Part-10 file",
  // storage
  STORE_NO_SPACE: "out of storage space",
  STORE_IO: "storage I/O failed",
  STORE_PATH_UNSAFE: "storage path is unsafe",
  // catalog
  CATALOG_IO: "catalog operation failed",
  // rules and plugins
  RULES_INVALID: "rules have errors",
  // CLI
  CLI_USAGE: "invalid command line",
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class ConduitError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`${ErrorCodes[code]}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = "ConduitError";
    this.code = code;
    this.details = details;
  }
}

/** Builds a registered error; message says what, where, what was received and what was expected. */
export function conduitError(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): ConduitError {
  return new ConduitError(code, message, details, cause);
}

export function isConduitError(err: unknown, code?: ErrorCode): err is ConduitError {
  return err instanceof ConduitError && (code === undefined || err.code === code);
}

/** Message of any thrown value, for logs. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A-ABORT PDU (PS3.8 9.3.8): source 0 service user, 2 service provider; reason meaningful for the provider.
import { conduitError } from "../errors.js";
import { AbortReason, AbortSource, PduType, type Abort } from "./pdu.js";

export function encodeAbort(source: number, reason: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = PduType.Abort;
  b.writeUInt32BE(4, 2);
  b[8] = source;
  b[9] = source === AbortSource.ServiceUser ? 0 : reason;
  return b;
}

export function decodeAbort(body: Buffer): Abort {
  if (body.length < 4) throw conduitError("UL_PDU_MALFORMED", `A-ABORT body is ${body.length} bytes, expected 4`);
  return { type: PduType.Abort, source: body[2]!, reason: body[3]! };
}

export function describeAbort(source: number, reason: number): string {
  if (source === AbortSource.ServiceUser) return "aborted by the peer (service user)";
  const reasons: Record<number, string> = {
    [AbortReason.NotSpecified]: "reason not specified",
    [AbortReason.UnrecognizedPdu]: "unrecognized PDU",
    [AbortReason.UnexpectedPdu]: "unexpected PDU",
    [AbortReason.UnrecognizedPduParameter]: "unrecognized PDU parameter",
    [AbortReason.UnexpectedPduParameter]: "unexpected PDU parameter",
    [AbortReason.InvalidPduParameterValue]: "invalid PDU parameter value",
  };
  return `aborted by the service provider: ${reasons[reason] ?? `reason ${reason}`}`;
}

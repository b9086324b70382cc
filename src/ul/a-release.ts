// A-RELEASE-RQ and A-RELEASE-RP PDUs (PS3.8 9.3.6, 9.3.7): a header and four reserved bytes.
import { PduType } from "./pdu.js";

function fixed(type: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = type;
  b.writeUInt32BE(4, 2);
  return b;
}

export function encodeReleaseRQ(): Buffer {
  return fixed(PduType.ReleaseRQ);
}

export function encodeReleaseRP(): Buffer {
  return fixed(PduType.ReleaseRP);
}

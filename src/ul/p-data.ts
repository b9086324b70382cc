// P-DATA-TF PDU and its presentation data value items (PS3.8 9.3.5, Annex E message control header).
import { conduitError } from "../errors.js";
import { PduType, PDU_HEADER_LENGTH, PDV_HEADER_LENGTH, type PresentationDataValue } from "./pdu.js";

/** Header of a P-DATA-TF carrying one PDV of `dataLength` bytes; the data follows it on the wire. */
export function pDataHeader(contextId: number, command: boolean, last: boolean, dataLength: number): Buffer {
  const h = Buffer.allocUnsafe(PDU_HEADER_LENGTH + PDV_HEADER_LENGTH);
  h[0] = PduType.PDataTF;
  h[1] = 0;
  h.writeUInt32BE(PDV_HEADER_LENGTH + dataLength, 2);
  h.writeUInt32BE(2 + dataLength, 6);
  h[10] = contextId;
  h[11] = (command ? 0x01 : 0) | (last ? 0x02 : 0);
  return h;
}

/** Splits a P-DATA-TF body into its PDVs; data are views into `body`, not copies. */
export function decodePDataTF(body: Buffer): PresentationDataValue[] {
  const pdvs: PresentationDataValue[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (pos + 6 > body.length) {
      throw conduitError("UL_PDU_MALFORMED", `P-DATA-TF: PDV item header truncated at offset ${pos} of ${body.length}`);
    }
    const len = body.readUInt32BE(pos);
    if (len < 2 || pos + 4 + len > body.length) {
      throw conduitError(
        "UL_PDU_MALFORMED",
        `P-DATA-TF: PDV item length ${len} at offset ${pos} does not fit the ${body.length}-byte PDU`,
      );
    }
    const contextId = body[pos + 4]!;
    const mch = body[pos + 5]!;
    if (contextId % 2 === 0) {
      throw conduitError("UL_PDU_MALFORMED", `P-DATA-TF: presentation context ID ${contextId} is even (PS3.8 9.3.2.2)`);
    }
    pdvs.push({ contextId, command: (mch & 0x01) !== 0, last: (mch & 0x02) !== 0, data: body.subarray(pos + 6, pos + 4 + len) });
    pos += 4 + len;
  }
  if (pdvs.length === 0) throw conduitError("UL_PDU_MALFORMED", "P-DATA-TF carries no PDV item");
  return pdvs;
}

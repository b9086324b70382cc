// DIMSE command sets (PS3.7 section 9.3 and Annex E): group 0000, always implicit VR little endian.
import { conduitError } from "../errors.js";

export const CommandField = {
  C_STORE_RQ: 0x0001,
  C_STORE_RSP: 0x8001,
  C_GET_RQ: 0x0010,
  C_GET_RSP: 0x8010,
  C_FIND_RQ: 0x0020,
  C_FIND_RSP: 0x8020,
  C_MOVE_RQ: 0x0021,
  C_MOVE_RSP: 0x8021,
  C_ECHO_RQ: 0x0030,
  C_ECHO_RSP: 0x8030,
  N_EVENT_REPORT_RQ: 0x0100,
  N_EVENT_REPORT_RSP: 0x8100,
  N_GET_RQ: 0x0110,
  N_GET_RSP: 0x8110,
  N_SET_RQ: 0x0120,
  N_SET_RSP: 0x8120,
  N_ACTION_RQ: 0x0130,
  N_ACTION_RSP: 0x8130,
  N_CREATE_RQ: 0x0140,
  N_CREATE_RSP: 0x8140,
  N_DELETE_RQ: 0x0150,
  N_DELETE_RSP: 0x8150,
  C_CANCEL_RQ: 0x0fff,
} as const;

/** CommandDataSetType value meaning "no data set" (PS3.7 E.2). */
export const NO_DATA_SET = 0x0101;
export const DATA_SET_PRESENT = 0x0000;

export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

export interface CommandSet {
  CommandField: number;
  CommandDataSetType: number;
  AffectedSOPClassUID?: string;
  RequestedSOPClassUID?: string;
  MessageID?: number;
  MessageIDBeingRespondedTo?: number;
  MoveDestination?: string;
  Priority?: number;
  Status?: number;
  OffendingElement?: number[];
  ErrorComment?: string;
  ErrorID?: number;
  AffectedSOPInstanceUID?: string;
  RequestedSOPInstanceUID?: string;
  EventTypeID?: number;
  AttributeIdentifierList?: number[];
  ActionTypeID?: number;
  NumberOfRemainingSuboperations?: number;
  NumberOfCompletedSuboperations?: number;
  NumberOfFailedSuboperations?: number;
  NumberOfWarningSuboperations?: number;
  MoveOriginatorApplicationEntityTitle?: string;
  MoveOriginatorMessageID?: number;
}

type FieldName = Exclude<keyof CommandSet, never>;

// [element number in group 0000, keyword, VR]
const FIELDS: ReadonlyArray<readonly [number, FieldName, "UI" | "US" | "AE" | "LO" | "AT" | "UL"]> = [
  [0x0002, "AffectedSOPClassUID", "UI"],
  [0x0003, "RequestedSOPClassUID", "UI"],
  [0x0100, "CommandField", "US"],
  [0x0110, "MessageID", "US"],
  [0x0120, "MessageIDBeingRespondedTo", "US"],
  [0x0600, "MoveDestination", "AE"],
  [0x0700, "Priority", "US"],
  [0x0800, "CommandDataSetType", "US"],
  [0x0900, "Status", "US"],
  [0x0901, "OffendingElement", "AT"],
  [0x0902, "ErrorComment", "LO"],
  [0x0903, "ErrorID", "US"],
  [0x1000, "AffectedSOPInstanceUID", "UI"],
  [0x1001, "RequestedSOPInstanceUID", "UI"],
  [0x1002, "EventTypeID", "US"],
  [0x1005, "AttributeIdentifierList", "AT"],
  [0x1008, "ActionTypeID", "US"],
  [0x1020, "NumberOfRemainingSuboperations", "US"],
  [0x1021, "NumberOfCompletedSuboperations", "US"],
  [0x1022, "NumberOfFailedSuboperations", "US"],
  [0x1023, "NumberOfWarningSuboperations", "US"],
  [0x1030, "MoveOriginatorApplicationEntityTitle", "AE"],
  [0x1031, "MoveOriginatorMessageID", "US"],
];
const BY_ELEMENT = new Map(FIELDS.map((f) => [f[0], f] as const));

function encodeValue(vr: string, value: unknown): Buffer {
  switch (vr) {
    case "US": {
      const b = Buffer.allocUnsafe(2);
      b.writeUInt16LE((value as number) & 0xffff);
      return b;
    }
    case "UL": {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32LE((value as number) >>> 0);
      return b;
    }
    case "AT": {
      const tags = value as number[];
      const b = Buffer.allocUnsafe(tags.length * 4);
      tags.forEach((t, i) => {
        b.writeUInt16LE(t >>> 16, i * 4);
        b.writeUInt16LE(t & 0xffff, i * 4 + 2);
      });
      return b;
    }
    default: {
      // UI pads with NUL, text VRs with space (PS3.5 6.2).
      let s = String(value);
      if (s.length % 2 === 1) s += vr === "UI" ? "\0" : " ";
      return Buffer.from(s, "latin1");
    }
  }
}

export function encodeCommand(cmd: CommandSet): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const [element, name, vr] of FIELDS) {
    const v = cmd[name];
    if (v === undefined) continue;
    const value = encodeValue(vr, v);
    const h = Buffer.allocUnsafe(8);
    h.writeUInt16LE(0x0000, 0);
    h.writeUInt16LE(element, 2);
    h.writeUInt32LE(value.length, 4);
    parts.push(h, value);
    length += 8 + value.length;
  }
  const gl = Buffer.allocUnsafe(12);
  gl.writeUInt32LE(0x00000000, 0);
  gl.writeUInt32LE(4, 4);
  gl.writeUInt32LE(length, 8);
  return Buffer.concat([gl, ...parts], 12 + length);
}

export function decodeCommand(buf: Buffer): CommandSet {
  const out: Record<string, unknown> = {};
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) {
      throw conduitError("DIMSE_COMMAND_MALFORMED", `element header truncated at offset ${pos} of ${buf.length}`);
    }
    const group = buf.readUInt16LE(pos);
    const element = buf.readUInt16LE(pos + 2);
    const len = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (group !== 0x0000) {
      throw conduitError("DIMSE_COMMAND_MALFORMED", `element (${hex4(group)},${hex4(element)}) in a command set, expected group 0000`);
    }
    if (len === 0xffffffff || pos + len > buf.length) {
      throw conduitError("DIMSE_COMMAND_MALFORMED", `element (0000,${hex4(element)}) length ${len} exceeds the command set`);
    }
    const f = BY_ELEMENT.get(element);
    if (f) {
      const v = buf.subarray(pos, pos + len);
      const [, name, vr] = f;
      if (vr === "US") out[name] = len >= 2 ? v.readUInt16LE(0) : 0;
      else if (vr === "UL") out[name] = len >= 4 ? v.readUInt32LE(0) : 0;
      else if (vr === "AT") {
        const tags: number[] = [];
        for (let i = 0; i + 4 <= len; i += 4) tags.push(((v.readUInt16LE(i) << 16) | v.readUInt16LE(i + 2)) >>> 0);
        out[name] = tags;
      } else out[name] = v.toString("latin1").replace(/[\0 ]+$/, "").replace(/^ +/, "");
    }
    pos += len;
  }
  if (typeof out.CommandField !== "number") {
    throw conduitError("DIMSE_COMMAND_MALFORMED", "command set has no CommandField (0000,0100)");
  }
  if (typeof out.CommandDataSetType !== "number") out.CommandDataSetType = NO_DATA_SET;
  return out as unknown as CommandSet;
}

export function hasDataSet(cmd: CommandSet): boolean {
  return cmd.CommandDataSetType !== NO_DATA_SET;
}

export function commandName(field: number): string {
  for (const [k, v] of Object.entries(CommandField)) if (v === field) return k.replace(/_/g, "-");
  return `command 0x${field.toString(16).padStart(4, "0")}`;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

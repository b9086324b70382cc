import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandField, decodeCommand, encodeCommand, NO_DATA_SET } from "../../src/dimse/command.js";
import { statusCategory, statusName } from "../../src/dimse/status.js";
import { isConduitError } from "../../src/errors.js";

test("command sets encode in implicit VR little endian with a correct group length and round-trip", () => {
  const cmd = {
    CommandField: CommandField.C_STORE_RQ,
    AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.1.2",
    AffectedSOPInstanceUID: "1.2.3.4.5",
    MessageID: 7,
    Priority: 0,
    CommandDataSetType: 0,
    MoveOriginatorApplicationEntityTitle: "MOVER",
    MoveOriginatorMessageID: 3,
  };
  const b = encodeCommand(cmd);
  assert.equal(b.readUInt32LE(8), b.length - 12, "CommandGroupLength");
  assert.equal(b.length % 2, 0);
  assert.deepEqual(decodeCommand(b), cmd);
});

test("a command without CommandField or with a foreign group is malformed", () => {
  const only = encodeCommand({ CommandField: 1, CommandDataSetType: NO_DATA_SET });
  const broken = Buffer.from(only);
  broken.writeUInt16LE(0x0008, 12);
  assert.throws(() => decodeCommand(broken), (e: unknown) => isConduitError(e, "DIMSE_COMMAND_MALFORMED"));
  assert.throws(() => decodeCommand(Buffer.alloc(3)), (e: unknown) => isConduitError(e, "DIMSE_COMMAND_MALFORMED"));
});

test("status categories follow PS3.7 Annex C", () => {
  assert.equal(statusCategory(0x0000), "success");
  assert.equal(statusCategory(0xff00), "pending");
  assert.equal(statusCategory(0xfe00), "cancel");
  assert.equal(statusCategory(0xb000), "warning");
  assert.equal(statusCategory(0xa700), "failure");
  assert.equal(statusCategory(0xc123), "failure");
  assert.match(statusName(0xa900), /does not match/);
});

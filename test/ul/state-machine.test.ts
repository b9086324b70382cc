import { test } from "node:test";
import assert from "node:assert/strict";
import { actionFor, NEXT_STATE, TRANSITIONS, type Event, type State } from "../../src/ul/state-machine.js";

test("PS3.8 Table 9-10 cells the engine relies on", () => {
  const cells: Array<[State, Event, string]> = [
    ["Sta1", "Evt5", "AE-5"],
    ["Sta2", "Evt6", "AE-6"],
    ["Sta2", "Evt10", "AA-1"], // P-DATA before association: abort
    ["Sta2", "Evt18", "AA-2"], // ARTIM expiry closes
    ["Sta3", "Evt7", "AE-7"],
    ["Sta3", "Evt8", "AE-8"],
    ["Sta5", "Evt3", "AE-3"],
    ["Sta5", "Evt4", "AE-4"],
    ["Sta6", "Evt10", "DT-2"],
    ["Sta6", "Evt12", "AR-2"],
    ["Sta6", "Evt6", "AA-8"],
    ["Sta6", "Evt16", "AA-3"],
    ["Sta6", "Evt17", "AA-4"],
    ["Sta6", "Evt19", "AA-8"],
    ["Sta7", "Evt12", "AR-8"],
    ["Sta7", "Evt13", "AR-3"],
    ["Sta8", "Evt14", "AR-4"],
    ["Sta10", "Evt13", "AR-10"],
    ["Sta13", "Evt17", "AR-5"],
    ["Sta13", "Evt6", "AA-7"],
    ["Sta13", "Evt10", "AA-6"],
  ];
  for (const [s, e, a] of cells) assert.equal(actionFor(s, e), a, `${s} ${e}`);
  assert.equal(actionFor("Sta1", "Evt10"), undefined);
  assert.equal(NEXT_STATE["AE-7"], "Sta6");
  assert.equal(NEXT_STATE["AA-8"], "Sta13");
});

test("every PDU event has an action in every state where a PDU can arrive", () => {
  const pduEvents: Event[] = ["Evt3", "Evt4", "Evt6", "Evt10", "Evt12", "Evt13", "Evt16", "Evt19"];
  const states: State[] = ["Sta2", "Sta3", "Sta5", "Sta6", "Sta7", "Sta8", "Sta9", "Sta10", "Sta11", "Sta12", "Sta13"];
  for (const e of pduEvents) for (const s of states) assert.ok(TRANSITIONS[e][s], `${e} in ${s}`);
});

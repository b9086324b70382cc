// The upper layer state machine of PS3.8 9.2: states Sta1-Sta13, events Evt1-Evt19, actions as in Table 9-10.

export type State =
  | "Sta1" // idle
  | "Sta2" // transport connection open, awaiting A-ASSOCIATE-RQ PDU
  | "Sta3" // awaiting local A-ASSOCIATE response primitive
  | "Sta4" // awaiting transport connection opening to complete
  | "Sta5" // awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU
  | "Sta6" // association established, ready for data transfer
  | "Sta7" // awaiting A-RELEASE-RP PDU
  | "Sta8" // awaiting local A-RELEASE response primitive
  | "Sta9" // release collision requestor side: awaiting A-RELEASE response primitive
  | "Sta10" // release collision acceptor side: awaiting A-RELEASE-RP PDU
  | "Sta11" // release collision requestor side: awaiting A-RELEASE-RP PDU
  | "Sta12" // release collision acceptor side: awaiting A-RELEASE response primitive
  | "Sta13"; // awaiting transport connection close indication

export type Event =
  | "Evt1" // A-ASSOCIATE request primitive (local user)
  | "Evt2" // transport connection confirm
  | "Evt3" // A-ASSOCIATE-AC PDU received
  | "Evt4" // A-ASSOCIATE-RJ PDU received
  | "Evt5" // transport connection indication
  | "Evt6" // A-ASSOCIATE-RQ PDU received
  | "Evt7" // A-ASSOCIATE response primitive (accept)
  | "Evt8" // A-ASSOCIATE response primitive (reject)
  | "Evt9" // P-DATA request primitive
  | "Evt10" // P-DATA-TF PDU received
  | "Evt11" // A-RELEASE request primitive
  | "Evt12" // A-RELEASE-RQ PDU received
  | "Evt13" // A-RELEASE-RP PDU received
  | "Evt14" // A-RELEASE response primitive
  | "Evt15" // A-ABORT request primitive
  | "Evt16" // A-ABORT PDU received
  | "Evt17" // transport connection closed indication
  | "Evt18" // ARTIM timer expired
  | "Evt19"; // unrecognized or invalid PDU received

export type Action =
  | "AE-1" // issue TRANSPORT CONNECT request
  | "AE-2" // send A-ASSOCIATE-RQ PDU
  | "AE-3" // issue A-ASSOCIATE confirmation (accept)
  | "AE-4" // issue A-ASSOCIATE confirmation (reject), close transport
  | "AE-5" // issue transport connection response, start ARTIM
  | "AE-6" // stop ARTIM; issue A-ASSOCIATE indication or send A-ASSOCIATE-RJ
  | "AE-7" // send A-ASSOCIATE-AC PDU
  | "AE-8" // send A-ASSOCIATE-RJ PDU, start ARTIM
  | "DT-1" // send P-DATA-TF PDU
  | "DT-2" // issue P-DATA indication
  | "AR-1" // send A-RELEASE-RQ PDU
  | "AR-2" // issue A-RELEASE indication
  | "AR-3" // issue A-RELEASE confirmation, close transport
  | "AR-4" // send A-RELEASE-RP PDU, start ARTIM
  | "AR-5" // stop ARTIM
  | "AR-6" // issue P-DATA indication
  | "AR-7" // send P-DATA-TF PDU
  | "AR-8" // issue A-RELEASE indication (release collision)
  | "AR-9" // send A-RELEASE-RP PDU
  | "AR-10" // issue A-RELEASE confirmation
  | "AA-1" // send A-ABORT PDU (service user), start ARTIM
  | "AA-2" // stop ARTIM, close transport
  | "AA-3" // issue A-ABORT or A-P-ABORT indication, close transport
  | "AA-4" // issue A-P-ABORT indication
  | "AA-5" // stop ARTIM
  | "AA-6" // ignore PDU
  | "AA-7" // send A-ABORT PDU
  | "AA-8"; // send A-ABORT PDU (service provider), issue A-P-ABORT indication, start ARTIM

const ESTABLISHED_AND_RELEASING: State[] = ["Sta6", "Sta7", "Sta8", "Sta9", "Sta10", "Sta11", "Sta12"];
const AFTER_ASSOCIATE: State[] = ["Sta3", "Sta5", ...ESTABLISHED_AND_RELEASING];

function row(entries: Array<[State[] | State, Action]>): Partial<Record<State, Action>> {
  const r: Partial<Record<State, Action>> = {};
  for (const [states, action] of entries) for (const s of Array.isArray(states) ? states : [states]) r[s] = action;
  return r;
}

/** PS3.8 Table 9-10. A missing cell is a state/event pair the standard does not define. */
export const TRANSITIONS: Readonly<Record<Event, Partial<Record<State, Action>>>> = {
  Evt1: row([["Sta1", "AE-1"]]),
  Evt2: row([["Sta4", "AE-2"]]),
  Evt3: row([["Sta2", "AA-1"], [AFTER_ASSOCIATE, "AA-8"], ["Sta5", "AE-3"], ["Sta13", "AA-6"]]),
  Evt4: row([["Sta2", "AA-1"], [AFTER_ASSOCIATE, "AA-8"], ["Sta5", "AE-4"], ["Sta13", "AA-6"]]),
  Evt5: row([["Sta1", "AE-5"]]),
  Evt6: row([["Sta2", "AE-6"], [AFTER_ASSOCIATE, "AA-8"], ["Sta13", "AA-7"]]),
  Evt7: row([["Sta3", "AE-7"]]),
  Evt8: row([["Sta3", "AE-8"]]),
  Evt9: row([["Sta6", "DT-1"], ["Sta8", "AR-7"]]),
  Evt10: row([["Sta2", "AA-1"], [AFTER_ASSOCIATE, "AA-8"], ["Sta6", "DT-2"], ["Sta7", "AR-6"], ["Sta13", "AA-6"]]),
  Evt11: row([["Sta6", "AR-1"]]),
  Evt12: row([["Sta2", "AA-1"], [AFTER_ASSOCIATE, "AA-8"], ["Sta6", "AR-2"], ["Sta7", "AR-8"], ["Sta13", "AA-6"]]),
  Evt13: row([
    ["Sta2", "AA-1"],
    [AFTER_ASSOCIATE, "AA-8"],
    ["Sta7", "AR-3"],
    ["Sta10", "AR-10"],
    ["Sta11", "AR-3"],
    ["Sta13", "AA-6"],
  ]),
  Evt14: row([["Sta8", "AR-4"], ["Sta9", "AR-9"], ["Sta12", "AR-4"]]),
  Evt15: row([["Sta3", "AA-1"], ["Sta4", "AA-2"], ["Sta5", "AA-1"], [ESTABLISHED_AND_RELEASING, "AA-1"]]),
  Evt16: row([["Sta2", "AA-2"], [AFTER_ASSOCIATE, "AA-3"], ["Sta13", "AA-2"]]),
  Evt17: row([["Sta2", "AA-5"], [["Sta3", "Sta4", "Sta5", ...ESTABLISHED_AND_RELEASING], "AA-4"], ["Sta13", "AR-5"]]),
  Evt18: row([["Sta2", "AA-2"], ["Sta13", "AA-2"]]),
  Evt19: row([["Sta2", "AA-1"], [AFTER_ASSOCIATE, "AA-8"], ["Sta13", "AA-7"]]),
};

/** State each action leads to; AE-6 and AR-8 branch and are resolved by the caller. */
export const NEXT_STATE: Readonly<Record<Action, State | null>> = {
  "AE-1": "Sta4",
  "AE-2": "Sta5",
  "AE-3": "Sta6",
  "AE-4": "Sta1",
  "AE-5": "Sta2",
  "AE-6": null,
  "AE-7": "Sta6",
  "AE-8": "Sta13",
  "DT-1": "Sta6",
  "DT-2": "Sta6",
  "AR-1": "Sta7",
  "AR-2": "Sta8",
  "AR-3": "Sta1",
  "AR-4": "Sta13",
  "AR-5": "Sta1",
  "AR-6": "Sta7",
  "AR-7": "Sta8",
  "AR-8": null,
  "AR-9": "Sta11",
  "AR-10": "Sta12",
  "AA-1": "Sta13",
  "AA-2": "Sta1",
  "AA-3": "Sta1",
  "AA-4": "Sta1",
  "AA-5": "Sta1",
  "AA-6": "Sta13",
  "AA-7": "Sta13",
  "AA-8": "Sta13",
};

/** Action for an event in a state, or undefined if the standard defines none. */
export function actionFor(state: State, event: Event): Action | undefined {
  return TRANSITIONS[event][state];
}

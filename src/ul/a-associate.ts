// A-ASSOCIATE-RQ/AC/RJ PDUs and their items (PS3.8 9.3.2-9.3.4, Annex D user information sub-items).
import { conduitError } from "../errors.js";
import { aeField, parseAE, PduCursor, PduWriter } from "./pdu-buffer.js";
import {
  ItemType,
  PduType,
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  type PresentationContextAC,
  type PresentationContextRQ,
  type PresentationResultCode,
  type UserInformation,
} from "./pdu.js";

export function emptyUserInformation(): UserInformation {
  return {
    maxLength: 0,
    implementationClassUid: "",
    roleSelections: [],
    extendedNegotiations: [],
    commonExtendedNegotiations: [],
  };
}

// ---------------------------------------------------------------- encoding

function writeUidItem(w: PduWriter, type: number, uid: string): void {
  const b = Buffer.from(uid, "latin1");
  w.u8(type).u8(0).u16(b.length).bytes(b);
}

function writeUserInformation(w: PduWriter, ui: UserInformation, ac: boolean): void {
  w.u8(ItemType.UserInformation).u8(0);
  const done = w.lengthField(2);
  w.u8(ItemType.MaximumLength).u8(0).u16(4).u32(ui.maxLength);
  writeUidItem(w, ItemType.ImplementationClassUID, ui.implementationClassUid);
  if (ui.asyncOps) {
    w.u8(ItemType.AsynchronousOperationsWindow).u8(0).u16(4).u16(ui.asyncOps.invoked).u16(ui.asyncOps.performed);
  }
  for (const r of ui.roleSelections) {
    const uid = Buffer.from(r.sopClassUid, "latin1");
    w.u8(ItemType.RoleSelection).u8(0).u16(uid.length + 4).u16(uid.length).bytes(uid);
    w.u8(r.scuRole ? 1 : 0).u8(r.scpRole ? 1 : 0);
  }
  if (ui.implementationVersionName) {
    const v = Buffer.from(ui.implementationVersionName.slice(0, 16), "latin1");
    w.u8(ItemType.ImplementationVersionName).u8(0).u16(v.length).bytes(v);
  }
  for (const x of ui.extendedNegotiations) {
    const uid = Buffer.from(x.sopClassUid, "latin1");
    w.u8(ItemType.SopClassExtendedNegotiation).u8(0).u16(2 + uid.length + x.info.length);
    w.u16(uid.length).bytes(uid).bytes(x.info);
  }
  if (!ac) {
    for (const x of ui.commonExtendedNegotiations) {
      const sop = Buffer.from(x.sopClassUid, "latin1");
      const svc = Buffer.from(x.serviceClassUid, "latin1");
      const related = x.relatedGeneralSopClasses.map((u) => Buffer.from(u, "latin1"));
      const relLen = related.reduce((n, b) => n + 2 + b.length, 0);
      w.u8(ItemType.SopClassCommonExtendedNegotiation).u8(0).u16(2 + sop.length + 2 + svc.length + 2 + relLen);
      w.u16(sop.length).bytes(sop).u16(svc.length).bytes(svc).u16(relLen);
      for (const r of related) w.u16(r.length).bytes(r);
    }
    if (ui.userIdentityRQ) {
      const u = ui.userIdentityRQ;
      w.u8(ItemType.UserIdentityRQ).u8(0).u16(6 + u.primaryField.length + u.secondaryField.length);
      w.u8(u.type).u8(u.positiveResponseRequested ? 1 : 0);
      w.u16(u.primaryField.length).bytes(u.primaryField).u16(u.secondaryField.length).bytes(u.secondaryField);
    }
  } else if (ui.userIdentityAC) {
    w.u8(ItemType.UserIdentityAC).u8(0).u16(2 + ui.userIdentityAC.length);
    w.u16(ui.userIdentityAC.length).bytes(ui.userIdentityAC);
  }
  done();
}

function writeHeader(w: PduWriter, type: number, pdu: AssociateRQ | AssociateAC): () => void {
  w.u8(type).u8(0);
  const done = w.lengthField(4);
  w.u16(pdu.protocolVersion).u16(0).bytes(aeField(pdu.calledAE)).bytes(aeField(pdu.callingAE)).zeros(32);
  writeUidItem(w, ItemType.ApplicationContext, pdu.applicationContext);
  return done;
}

export function encodeAssociateRQ(pdu: AssociateRQ): Buffer {
  const w = new PduWriter(1024);
  const done = writeHeader(w, PduType.AssociateRQ, pdu);
  for (const pc of pdu.presentationContexts) {
    w.u8(ItemType.PresentationContextRQ).u8(0);
    const pcDone = w.lengthField(2);
    w.u8(pc.id).u8(0).u8(0).u8(0);
    writeUidItem(w, ItemType.AbstractSyntax, pc.abstractSyntax);
    for (const ts of pc.transferSyntaxes) writeUidItem(w, ItemType.TransferSyntax, ts);
    pcDone();
  }
  writeUserInformation(w, pdu.userInfo, false);
  done();
  return w.toBuffer();
}

export function encodeAssociateAC(pdu: AssociateAC): Buffer {
  const w = new PduWriter(1024);
  const done = writeHeader(w, PduType.AssociateAC, pdu);
  for (const pc of pdu.presentationContexts) {
    w.u8(ItemType.PresentationContextAC).u8(0);
    const pcDone = w.lengthField(2);
    w.u8(pc.id).u8(0).u8(pc.result).u8(0);
    // PS3.8 9.3.3.2: the transfer syntax sub-item is present; its value is ignored unless accepted.
    writeUidItem(w, ItemType.TransferSyntax, pc.result === 0 ? pc.transferSyntax : "");
    pcDone();
  }
  writeUserInformation(w, pdu.userInfo, true);
  done();
  return w.toBuffer();
}

export function encodeAssociateRJ(pdu: Omit<AssociateRJ, "type">): Buffer {
  const b = Buffer.alloc(10);
  b[0] = PduType.AssociateRJ;
  b.writeUInt32BE(4, 2);
  b[7] = pdu.result;
  b[8] = pdu.source;
  b[9] = pdu.reason;
  return b;
}

// ---------------------------------------------------------------- decoding

function readUserInformation(c: PduCursor): UserInformation {
  const ui = emptyUserInformation();
  let sawMaxLength = false;
  while (c.remaining() > 0) {
    const type = c.u8("sub-item type");
    c.skip(1, "reserved");
    const len = c.u16("sub-item length");
    const s = c.sub(len, `user information sub-item 0x${type.toString(16)}`);
    switch (type) {
      case ItemType.MaximumLength:
        ui.maxLength = s.u32("maximum length received");
        sawMaxLength = true;
        break;
      case ItemType.ImplementationClassUID:
        ui.implementationClassUid = s.uid(len, "implementation class UID");
        break;
      case ItemType.AsynchronousOperationsWindow:
        ui.asyncOps = { invoked: s.u16("max operations invoked"), performed: s.u16("max operations performed") };
        break;
      case ItemType.RoleSelection: {
        const n = s.u16("SOP class UID length");
        const sopClassUid = s.uid(n, "SOP class UID");
        ui.roleSelections.push({ sopClassUid, scuRole: s.u8("SCU role") === 1, scpRole: s.u8("SCP role") === 1 });
        break;
      }
      case ItemType.ImplementationVersionName:
        ui.implementationVersionName = s.bytes(len, "implementation version name").toString("latin1").trim();
        break;
      case ItemType.SopClassExtendedNegotiation: {
        const n = s.u16("SOP class UID length");
        const sopClassUid = s.uid(n, "SOP class UID");
        ui.extendedNegotiations.push({ sopClassUid, info: Buffer.from(s.bytes(s.remaining(), "info")) });
        break;
      }
      case ItemType.SopClassCommonExtendedNegotiation: {
        const sopClassUid = s.uid(s.u16("SOP class UID length"), "SOP class UID");
        const serviceClassUid = s.uid(s.u16("service class UID length"), "service class UID");
        const rel = s.sub(s.u16("related general SOP classes length"), "related general SOP classes");
        const relatedGeneralSopClasses: string[] = [];
        while (rel.remaining() > 0) relatedGeneralSopClasses.push(rel.uid(rel.u16("related UID length"), "related UID"));
        ui.commonExtendedNegotiations.push({ sopClassUid, serviceClassUid, relatedGeneralSopClasses });
        break;
      }
      case ItemType.UserIdentityRQ: {
        const type = s.u8("user identity type");
        const positiveResponseRequested = s.u8("positive response requested") === 1;
        const primaryField = Buffer.from(s.bytes(s.u16("primary field length"), "primary field"));
        const secondaryField = Buffer.from(s.bytes(s.u16("secondary field length"), "secondary field"));
        ui.userIdentityRQ = { type, positiveResponseRequested, primaryField, secondaryField };
        break;
      }
      case ItemType.UserIdentityAC:
        ui.userIdentityAC = Buffer.from(s.bytes(s.u16("server response length"), "server response"));
        break;
      default:
        // PS3.7 D.3.3: unrecognized user information sub-items are ignored.
        break;
    }
  }
  if (!sawMaxLength) {
    throw conduitError("UL_PDU_MALFORMED", "user information item has no maximum length sub-item (PS3.8 D.1)");
  }
  return ui;
}


function readPresentationContextRQ(c: PduCursor): PresentationContextRQ {
  const id = c.u8("presentation context ID");
  c.skip(3, "reserved");
  let abstractSyntax = "";
  const transferSyntaxes: string[] = [];
  while (c.remaining() > 0) {
    const type = c.u8("sub-item type");
    c.skip(1, "reserved");
    const len = c.u16("sub-item length");
    if (type === ItemType.AbstractSyntax) abstractSyntax = c.uid(len, "abstract syntax");
    else if (type === ItemType.TransferSyntax) transferSyntaxes.push(c.uid(len, "transfer syntax"));
    else c.skip(len, "unknown sub-item");
  }
  if (!abstractSyntax) {
    throw conduitError("UL_PDU_MALFORMED", `presentation context ${id} has no abstract syntax sub-item`);
  }
  return { id, abstractSyntax, transferSyntaxes };
}

function readPresentationContextAC(c: PduCursor): PresentationContextAC {
  const id = c.u8("presentation context ID");
  c.skip(1, "reserved");
  const result = c.u8("result/reason") as PresentationResultCode;
  c.skip(1, "reserved");
  let transferSyntax = "";
  while (c.remaining() > 0) {
    const type = c.u8("sub-item type");
    c.skip(1, "reserved");
    const len = c.u16("sub-item length");
    if (type === ItemType.TransferSyntax) transferSyntax = c.uid(len, "transfer syntax");
    else c.skip(len, "unknown sub-item");
  }
  return { id, result, transferSyntax };
}

interface Common {
  protocolVersion: number;
  calledAE: string;
  callingAE: string;
  applicationContext: string;
  userInfo: UserInformation;
}

function readCommon(c: PduCursor, onContext: (type: number, sub: PduCursor) => void): Common {
  const protocolVersion = c.u16("protocol version");
  c.skip(2, "reserved");
  const calledAE = parseAE(c.bytes(16, "called AE title"));
  const callingAE = parseAE(c.bytes(16, "calling AE title"));
  c.skip(32, "reserved");
  let applicationContext = "";
  let userInfo: UserInformation | undefined;
  while (c.remaining() > 0) {
    const type = c.u8("item type");
    c.skip(1, "reserved");
    const len = c.u16("item length");
    const sub = c.sub(len, `item 0x${type.toString(16)}`);
    if (type === ItemType.ApplicationContext) applicationContext = sub.uid(len, "application context name");
    else if (type === ItemType.UserInformation) userInfo = readUserInformation(sub);
    else onContext(type, sub);
  }
  if (!applicationContext) throw conduitError("UL_PDU_MALFORMED", "no application context item");
  if (!userInfo) throw conduitError("UL_PDU_MALFORMED", "no user information item");
  return { protocolVersion, calledAE, callingAE, applicationContext, userInfo };
}

/** Decodes the body (after the 6-byte header) of an A-ASSOCIATE-RQ. */
export function decodeAssociateRQ(body: Buffer): AssociateRQ {
  const presentationContexts: PresentationContextRQ[] = [];
  const common = readCommon(new PduCursor(body, 0, body.length, "A-ASSOCIATE-RQ"), (type, sub) => {
    if (type === ItemType.PresentationContextRQ) presentationContexts.push(readPresentationContextRQ(sub));
  });
  return { type: PduType.AssociateRQ, ...common, presentationContexts };
}

export function decodeAssociateAC(body: Buffer): AssociateAC {
  const presentationContexts: PresentationContextAC[] = [];
  const common = readCommon(new PduCursor(body, 0, body.length, "A-ASSOCIATE-AC"), (type, sub) => {
    if (type === ItemType.PresentationContextAC) presentationContexts.push(readPresentationContextAC(sub));
  });
  return { type: PduType.AssociateAC, ...common, presentationContexts };
}

export function decodeAssociateRJ(body: Buffer): AssociateRJ {
  const c = new PduCursor(body, 0, body.length, "A-ASSOCIATE-RJ");
  c.skip(1, "reserved");
  return { type: PduType.AssociateRJ, result: c.u8("result"), source: c.u8("source"), reason: c.u8("reason") };
}

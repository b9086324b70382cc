import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeAssociateAC, decodeAssociateRJ, decodeAssociateRQ, encodeAssociateAC, encodeAssociateRJ, encodeAssociateRQ } from "../../src/ul/a-associate.js";
import { decodePDataTF, pDataHeader } from "../../src/ul/p-data.js";
import { decodeAbort, encodeAbort } from "../../src/ul/a-abort.js";
import { PduReader } from "../../src/ul/pdu-reader.js";
import { buildAssociateRQ } from "../../src/client.js";
import { negotiate, checkAssociationRequest, type AcceptorPolicy } from "../../src/ul/negotiation.js";
import { isConduitError } from "../../src/errors.js";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const ELE = "1.2.840.10008.1.2.1";
const ILE = "1.2.840.10008.1.2";
const JPEG_LL = "1.2.840.10008.1.2.4.70";

function policy(over: Partial<AcceptorPolicy> = {}): AcceptorPolicy {
  return {
    aeTitles: ["CONDUIT"],
    checkCalledAE: false,
    allowedCallingAEs: null,
    supports: (uid) => uid === CT || uid === "1.2.840.10008.1.1",
    transferSyntaxPreference: [JPEG_LL, ELE, ILE],
    maxPduReceive: 65536,
    implementationClassUid: "1.2.3",
    implementationVersionName: "TEST",
    ...over,
  };
}

test("A-ASSOCIATE-RQ round-trips with role selection, async window and user identity", () => {
  const rq = buildAssociateRQ({ host: "x", port: 1, callingAE: "SCU", calledAE: "CONDUIT", maxPduReceive: 32768 }, [
    { abstractSyntax: CT, transferSyntaxes: [ELE, ILE], scuRole: false, scpRole: true },
    { abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [ILE] },
  ]);
  rq.userInfo.asyncOps = { invoked: 5, performed: 3 };
  rq.userInfo.userIdentityRQ = { type: 2, positiveResponseRequested: true, primaryField: Buffer.from("alice"), secondaryField: Buffer.from("pw") };
  const wire = encodeAssociateRQ(rq);
  assert.equal(wire[0], 0x01);
  assert.equal(wire.readUInt32BE(2), wire.length - 6);
  const back = decodeAssociateRQ(wire.subarray(6));
  assert.equal(back.callingAE, "SCU");
  assert.equal(back.calledAE, "CONDUIT");
  assert.deepEqual(back.presentationContexts, rq.presentationContexts);
  assert.equal(back.userInfo.maxLength, 32768);
  assert.deepEqual(back.userInfo.roleSelections, [{ sopClassUid: CT, scuRole: false, scpRole: true }]);
  assert.deepEqual(back.userInfo.asyncOps, { invoked: 5, performed: 3 });
  assert.equal(back.userInfo.userIdentityRQ?.primaryField.toString(), "alice");
});

test("negotiation picks the preferred transfer syntax, rejects unknown abstract syntaxes and answers roles and async 1/1", () => {
  const rq = buildAssociateRQ({ host: "x", port: 1 }, [
    { abstractSyntax: CT, transferSyntaxes: [ILE, ELE, JPEG_LL], scpRole: true, scuRole: false },
    { abstractSyntax: "1.2.840.10008.5.1.4.1.2.2.1", transferSyntaxes: [ILE] },
    { abstractSyntax: CT, transferSyntaxes: ["1.2.840.10008.1.2.4.50"] },
  ]);
  rq.userInfo.asyncOps = { invoked: 10, performed: 10 };
  const ac = negotiate(rq, policy());
  assert.deepEqual(ac.presentationContexts.map((c) => [c.id, c.result, c.transferSyntax]), [
    [1, 0, JPEG_LL],
    [3, 3, ""],
    [5, 4, ""],
  ]);
  assert.deepEqual(ac.userInfo.asyncOps, { invoked: 1, performed: 1 });
  assert.deepEqual(ac.userInfo.roleSelections, [{ sopClassUid: CT, scuRole: false, scpRole: true }]);
  const back = decodeAssociateAC(encodeAssociateAC(ac).subarray(6));
  assert.deepEqual(back.presentationContexts, ac.presentationContexts);
  assert.equal(back.userInfo.maxLength, 65536);
});

test("called and calling AE checks give PS3.8 rejection reasons 7 and 3", () => {
  const rq = buildAssociateRQ({ host: "x", port: 1, calledAE: "OTHER", callingAE: "STRANGER" }, [{ abstractSyntax: CT, transferSyntaxes: [ELE] }]);
  assert.deepEqual(checkAssociationRequest(rq, policy({ checkCalledAE: true })), { reject: { result: 1, source: 1, reason: 7 } });
  assert.deepEqual(checkAssociationRequest(rq, policy({ allowedCallingAEs: ["CT1"] })), { reject: { result: 1, source: 1, reason: 3 } });
  assert.equal(checkAssociationRequest(rq, policy()), null);
  const rj = decodeAssociateRJ(encodeAssociateRJ({ result: 2, source: 3, reason: 2 }).subarray(6));
  assert.deepEqual([rj.result, rj.source, rj.reason], [2, 3, 2]);
});

test("P-DATA-TF PDVs decode as views and reject even context IDs", () => {
  const data = Buffer.from("abcdef");
  const pdu = Buffer.concat([pDataHeader(3, false, true, data.length), data]);
  const pdvs = decodePDataTF(pdu.subarray(6));
  assert.equal(pdvs.length, 1);
  assert.deepEqual({ ...pdvs[0], data: pdvs[0]!.data.toString() }, { contextId: 3, command: false, last: true, data: "abcdef" });
  const bad = Buffer.concat([pDataHeader(2, true, true, 2), Buffer.from("xy")]);
  assert.throws(() => decodePDataTF(bad.subarray(6)), (e: unknown) => isConduitError(e, "UL_PDU_MALFORMED"));
  assert.deepEqual(decodeAbort(encodeAbort(2, 6).subarray(6)), { type: 7, source: 2, reason: 6 });
});

test("PDU reader streams PDVs split at any byte, without losing bytes, and refuses oversize or unknown PDUs", () => {
  // One P-DATA-TF with two PDVs, then an A-ABORT.
  const pdv = (ctx: number, mch: number, data: string) => {
    const h = Buffer.alloc(6);
    h.writeUInt32BE(data.length + 2, 0);
    h[4] = ctx;
    h[5] = mch;
    return Buffer.concat([h, Buffer.from(data)]);
  };
  const items = Buffer.concat([pdv(1, 0x03, "CMD"), pdv(1, 0x02, "payload-bytes")]);
  const header = Buffer.alloc(6);
  header[0] = 0x04;
  header.writeUInt32BE(items.length, 2);
  const stream = Buffer.concat([header, items, encodeAbort(0, 0)]);
  const noop = { pdu: () => {}, pDataStart: () => {}, pdvFragment: () => {} };
  for (let split = 1; split < stream.length; split++) {
    const events: string[] = [];
    const data: Record<string, string> = { cmd: "", data: "" };
    const r = new PduReader({ maxPDataLength: 1000, maxOtherLength: 1000 }, {
      pdu: (t) => events.push(`pdu ${t}`),
      pDataStart: () => events.push("pdata"),
      pdvFragment: (ctx, mch, d, end) => {
        data[mch & 1 ? "cmd" : "data"] += d.toString();
        if (end) events.push(`pdv ${ctx} ${mch}`);
      },
    });
    r.feed(stream.subarray(0, split));
    r.feed(stream.subarray(split));
    assert.deepEqual(events, ["pdata", "pdv 1 3", "pdv 1 2", "pdu 7"], `split ${split}`);
    assert.deepEqual(data, { cmd: "CMD", data: "payload-bytes" });
  }
  const r = new PduReader({ maxPDataLength: 10, maxOtherLength: 10 }, noop);
  assert.throws(() => r.feed(Buffer.concat([pDataHeader(1, true, true, 100)])), (e: unknown) => isConduitError(e, "UL_PDU_TOO_LARGE"));
  const r2 = new PduReader({ maxPDataLength: 10, maxOtherLength: 10 }, noop);
  assert.throws(() => r2.feed(Buffer.from([0x09, 0, 0, 0, 0, 0])), (e: unknown) => isConduitError(e, "UL_PDU_UNRECOGNIZED"));
});

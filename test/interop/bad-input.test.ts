// Bad input from the network: each case gets the right abort or reject, the server keeps serving others, and no
// partial object is kept (DESIGN.md quality bar).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeInstance } from "../support/dicom-files.js";
import { runTool } from "../support/dcmtk.js";
import { startConduit, storedFiles, tempFiles } from "../support/conduit.js";
import { runCleanups, tmpDir } from "../support/tmp.js";
import { Client, buildAssociateRQ } from "../../src/client.js";
import { encodeAssociateRQ } from "../../src/ul/a-associate.js";
import { pDataHeader } from "../../src/ul/p-data.js";
import { isConduitError } from "../../src/errors.js";

after(runCleanups);

/** Sends bytes on a raw connection and returns everything the server answered before it closed the connection. */
async function exchange(port: number, chunks: Buffer[], opts: { holdOpenMs?: number; endAfterSend?: boolean } = {}): Promise<Buffer> {
  const r = await exchangeRaw(port, chunks, opts);
  assert.ok(r.closedByServer, "the server closed the connection");
  return r.data;
}

function exchangeRaw(
  port: number,
  chunks: Buffer[],
  opts: { holdOpenMs?: number; endAfterSend?: boolean },
): Promise<{ data: Buffer; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const s = connect({ host: "127.0.0.1", port }, () => {
      for (const c of chunks) s.write(c);
      if (opts.endAfterSend) s.end();
    });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(got), closedByServer: false });
    }, opts.holdOpenMs ?? 10_000);
    s.on("data", (d) => got.push(d));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(got), closedByServer: true });
    });
    s.on("timeout", () => reject(new Error("timeout")));
  });
}

async function stillServes(port: number): Promise<void> {
  const r = await runTool("echoscu", ["-aec", "CONDUIT", "127.0.0.1", String(port)]);
  assert.equal(r.code, 0, `echoscu after bad input: ${r.stderr}`);
}

function associateBytes(calledAE = "CONDUIT"): Buffer {
  return encodeAssociateRQ(
    buildAssociateRQ({ host: "", port: 0, callingAE: "RAW", calledAE }, [
      { abstractSyntax: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxes: ["1.2.840.10008.1.2.1"] },
    ]),
  );
}

test("random bytes: A-ABORT (unrecognized PDU) and the connection closes", async () => {
  const c = await startConduit();
  const junk = randomBytes(64);
  junk[0] = 0x42; // not a PDU type
  const answer = await exchange(c.port, [junk]);
  assert.equal(answer[0], 0x07, "A-ABORT PDU");
  assert.equal(answer[8], 2, "source: service provider");
  assert.equal(answer[9], 1, "reason: unrecognized PDU");
  await stillServes(c.port);
});

test("P-DATA-TF before A-ASSOCIATE-RQ: A-ABORT (unexpected PDU)", async () => {
  const c = await startConduit();
  const pdu = Buffer.concat([pDataHeader(1, true, true, 4), Buffer.from("abcd")]);
  const answer = await exchange(c.port, [pdu]);
  assert.equal(answer[0], 0x07);
  assert.equal(answer[8], 2);
  assert.equal(answer[9], 2, "reason: unexpected PDU");
  await stillServes(c.port);
});

test("a PDU announcing more bytes than follow: aborted when the ARTIM timer expires, others unaffected", async () => {
  const c = await startConduit({ limits: { artimTimeout: 1 } });
  const rq = associateBytes();
  const cut = rq.subarray(0, 40); // header says the full length; only part of it arrives
  const pending = exchange(c.port, [cut], { holdOpenMs: 15_000 });
  await stillServes(c.port); // served while the broken connection is still open
  const answer = await pending; // asserts the server closed it (ARTIM, PS3.8 9.1.5), long before our 15 s
  assert.ok(answer.length === 0 || answer[0] === 0x07, "closed or aborted");
});

test("a truncated PDU followed by the peer closing leaves the server serving", async () => {
  const c = await startConduit();
  const rq = associateBytes();
  await exchange(c.port, [rq.subarray(0, 20)], { endAfterSend: true, holdOpenMs: 5000 });
  assert.equal(c.server.catalog.instanceCount(), 0);
  await stillServes(c.port);
});

test("P-DATA-TF longer than our maximum PDU length: A-ABORT (invalid PDU parameter value)", async () => {
  const c = await startConduit({ network: { maxPduReceive: 16384 } });
  // Associate properly, then send an oversized P-DATA-TF header.
  const answer = await new Promise<Buffer>((resolve) => {
    const got: Buffer[] = [];
    const s = connect({ host: "127.0.0.1", port: c.port }, () => s.write(associateBytes()));
    let sent = false;
    s.on("data", (d) => {
      got.push(d);
      if (!sent && d[0] === 0x02) {
        sent = true;
        got.length = 0;
        s.write(pDataHeader(1, false, false, 100_000));
      }
    });
    s.on("close", () => resolve(Buffer.concat(got)));
    s.on("error", () => {});
  });
  assert.equal(answer[0], 0x07);
  assert.equal(answer[9], 6, "reason: invalid PDU parameter value");
  await stillServes(c.port);
});

test("unknown called AE title with checking on: A-ASSOCIATE-RJ permanent, service user, reason 7", async () => {
  const c = await startConduit({ checkCalledAE: true });
  await assert.rejects(
    Client.echo({ host: "127.0.0.1", port: c.port, calledAE: "SOMEONE-ELSE" }),
    (e: unknown) => isConduitError(e, "UL_ASSOCIATION_REJECTED") && e.details.result === 1 && e.details.source === 1 && e.details.reason === 7,
  );
  const r = await runTool("echoscu", ["-aec", "WRONG", "127.0.0.1", String(c.port)]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr + r.stdout, /Called AE Title Not Recognized/i);
  const ok = await Client.echo({ host: "127.0.0.1", port: c.port, calledAE: "CONDUIT" });
  assert.equal(ok.status, 0);
});

test("a peer that vanishes mid-transfer: nothing partial is kept, the server keeps serving", async () => {
  const c = await startConduit();
  const dir = await tmpDir("vanish");
  const inst = await writeInstance(join(dir, "big.dcm"), { pixelBytes: 8 * 1024 * 1024 });
  const a = await Client.associate({ host: "127.0.0.1", port: c.port, calledAE: "CONDUIT", maxPduSend: 16384 }, [
    { abstractSyntax: inst.sopClassUid, transferSyntaxes: [inst.transferSyntaxUid] },
  ]);
  const sending = a.storeFile(inst.path).catch((e: unknown) => e);
  // Let part of the data set go out, then drop the TCP connection without A-ABORT.
  await new Promise((r) => setTimeout(r, 30));
  a.association.socket.destroy();
  const result = await sending;
  assert.ok(result instanceof Error);
  await stillServes(c.port);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await storedFiles(c.root), []);
  assert.deepEqual(await tempFiles(c.root), []);
  assert.equal(c.server.catalog.getInstance(inst.sopInstanceUid), undefined);
});

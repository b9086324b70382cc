// The outbox against real DCMTK storescp receivers: association reuse and idle close, the per-destination
// concurrency limit (counted by a TCP relay in front of storescp --fork), a receiver that is down at first, back-off
// and dead letters, unknown destinations, and a restart after a crash that left jobs active.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { makeStudy, readPixelData, writeInstance } from "../support/dicom-files.js";
import { freePort, startDcmtkServer, startStorescp } from "../support/dcmtk.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";
import { retryDelayMs } from "../../src/outbox/outbox.js";
import { count, openOutbox, receivedFile, received, until } from "./fixture.js";

after(runCleanups);

const small = { rows: 64, columns: 64 };

test("consecutive jobs share one association, released after idleClose; pixel data arrives byte-identical", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "RX", args: ["-v"] });
  const f = await openOutbox({ peers: { RX: { host: "127.0.0.1", port: rx.port, concurrency: 1 } }, outbox: { idleClose: 0.4 } });
  const study = await makeStudy(await tmpDir("src"), { count: 12, ...small });
  f.enqueue("RX", study.instances);
  await until("12 jobs done", () => f.jobs("done").length === 12);
  for (const inst of study.instances) {
    assert.deepEqual(await readPixelData(await receivedFile(rxDir, inst.sopInstanceUid)), await readPixelData(inst.path));
  }
  assert.equal(count(rx.output(), /Association Acknowledged/), 1, rx.output());
  await until("idle association released", () => count(rx.output(), /Association Release/) === 1);
  // The next object after the idle close opens a second association.
  const late = await writeInstance(join(await tmpDir("src"), "late.dcm"), small);
  f.enqueue("RX", [late]);
  await until("late job done", () => f.jobs("done").length === 13);
  assert.equal(count(rx.output(), /Association Acknowledged/), 2);
  assert.equal(f.settled.length, 13);
  assert.ok(f.settled.every((s) => s.state === "done"));
  await f.close();
});

/** A TCP relay that counts connections open at the same time. */
async function countingRelay(target: number): Promise<{ port: number; max: () => number; total: () => number }> {
  let open = 0;
  let max = 0;
  let total = 0;
  const server = createServer((client: Socket) => {
    open++;
    total++;
    max = Math.max(max, open);
    const upstream = connect(target, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once("close", () => {
      open--;
      end();
    });
    upstream.once("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  registerCleanup(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { port: typeof addr === "object" && addr ? addr.port : 0, max: () => max, total: () => total };
}

test("at most `concurrency` associations per destination at once", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "RX", args: ["--fork"] });
  const relay = await countingRelay(rx.port);
  const f = await openOutbox({ peers: { RX: { host: "127.0.0.1", port: relay.port, concurrency: 3 } }, outbox: { idleClose: 1 } });
  const study = await makeStudy(await tmpDir("src"), { count: 24, ...small });
  f.enqueue("RX", study.instances);
  await until("24 jobs done", () => f.jobs("done").length === 24);
  await until("24 files written", async () => (await received(rxDir)).length === 24);
  assert.equal(relay.max(), 3, "three associations in parallel");
  assert.equal(relay.total(), 3, "each worker kept its association for consecutive objects");
  await f.close();
});

test("a receiver down at first gets every object after it starts; the destination waits instead of every job failing", async () => {
  const port = await freePort();
  const f = await openOutbox({ peers: { LATE: { host: "127.0.0.1", port, concurrency: 1 } }, outbox: { retryDelay: 0.2, maxRetryDelay: 0.4 } });
  const study = await makeStudy(await tmpDir("src"), { count: 6, ...small });
  f.enqueue("LATE", study.instances);
  await until("a failed attempt", () => f.jobs().some((j) => j.attempts > 0));
  const failed = f.jobs().find((j) => j.attempts > 0)!;
  assert.equal(failed.state, "queued");
  assert.match(failed.lastError ?? "", /ECONNREFUSED|refused/i);
  assert.ok(failed.nextAttemptAt > Date.now() - 50, "retried later, not at once");
  // While the peer is known down, one job per back-off period is tried, not all six at once.
  assert.ok(f.jobs().filter((j) => j.attempts > 0).length <= 2);
  const rxDir = await tmpDir("rx");
  const rx = await startDcmtkServer("storescp", ["-od", rxDir, "+xa", String(port)], port);
  registerCleanup(() => rx.stop());
  await until("6 jobs done", () => f.jobs("done").length === 6);
  for (const inst of study.instances) await receivedFile(rxDir, inst.sopInstanceUid);
  await f.close();
});

test("dead letter after maxAttempts with the last error; unknown destinations die at once", async () => {
  const port = await freePort();
  const f = await openOutbox({ peers: { NOBODY: { host: "127.0.0.1", port } }, outbox: { maxAttempts: 3, retryDelay: 0.05, maxRetryDelay: 0.1 } });
  const a = await writeInstance(join(await tmpDir("src"), "a.dcm"), small);
  f.enqueue("NOBODY", [a]);
  f.enqueue("GHOST", [a]);
  await until("both dead", () => f.jobs("dead").length === 2);
  const [nobody, ghost] = [f.jobs("dead").find((j) => j.destination === "NOBODY")!, f.jobs("dead").find((j) => j.destination === "GHOST")!];
  assert.equal(nobody.attempts, 3);
  assert.match(nobody.lastError ?? "", /(ECONNREFUSED|refused).*\(after 3 attempts\)/i);
  assert.equal(ghost.attempts, 1);
  assert.match(ghost.lastError ?? "", /unknown destination AE "GHOST"/);
  assert.deepEqual(f.settled.map((s) => s.state), ["dead", "dead"]);
  await f.close();
});

test("back-off doubles from retryDelay up to maxRetryDelay", () => {
  const o = { maxAttempts: 10, retryDelay: 5, maxRetryDelay: 60, idleClose: 5 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, o)), [5000, 10000, 20000, 40000, 60000, 60000]);
});

test("after a crash, jobs left active are queued again and delivered by the next outbox on the same catalog", async () => {
  const study = await makeStudy(await tmpDir("src"), { count: 5, ...small });
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "RX" });
  const peers = { RX: { host: "127.0.0.1", port: rx.port } };
  const first = await openOutbox({ peers, noStart: true });
  first.enqueue("RX", study.instances);
  // Two jobs were being sent when the process died: their rows still say active.
  assert.equal(first.outbox.store.claim("RX", 2).length, 2);
  assert.equal(first.jobs("active").length, 2);
  first.catalog.close();
  const second = await openOutbox({ peers, dir: first.dir });
  await until("5 jobs done", () => second.jobs("done").length === 5);
  assert.deepEqual((await received(rxDir)).length, 5);
  assert.ok(second.jobs().every((j) => j.attempts === 1));
  await second.close();
});

test("stop lets a send in flight finish and releases the association; past its grace period the job is queued again", async () => {
  const rx = await startStorescp({ dir: await tmpDir("rx"), aet: "SLOW", args: ["-v", "--sleep-during", "1"] });
  const f = await openOutbox({ peers: { SLOW: { host: "127.0.0.1", port: rx.port, concurrency: 1 } } });
  const dir = await tmpDir("src");
  const [a, b] = [await writeInstance(join(dir, "a.dcm"), small), await writeInstance(join(dir, "b.dcm"), small)];
  f.enqueue("SLOW", [a]);
  await until("sending", () => f.jobs("active").length === 1);
  await f.outbox.stop(5000);
  assert.equal(f.jobs("done").length, 1, "the send in flight finished");
  await until("association released", () => count(rx.output(), /Association Release/) === 1);
  f.outbox.start();
  f.enqueue("SLOW", [b]);
  await until("sending again", () => f.jobs("active").length === 1);
  await f.outbox.stop(0);
  const [job] = f.jobs("queued");
  assert.equal(job?.sopInstanceUid, b.sopInstanceUid, "aborted at once and queued again");
  assert.equal(job.attempts, 0, "an interrupted send is not a failed attempt");
  await f.close();
});

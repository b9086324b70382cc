// Spool copies deleted when their last job ends, and `conduit queue list|retry|purge` run in-process on the catalog
// of a (running or stopped) outbox: table and JSON output, filters, retry picked up by a running outbox, purge.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Command } from "commander";
import { addQueueCommand } from "../../src/cli/queue.js";
import { errorMessage } from "../../src/errors.js";
import { writeInstance, type WrittenInstance } from "../support/dicom-files.js";
import { freePort, startStorescp } from "../support/dcmtk.js";
import { runCleanups, tmpDir } from "../support/tmp.js";
import { openOutbox, receivedFile, toJob, until } from "./fixture.js";

after(runCleanups);

const small = { rows: 16, columns: 16 };

async function spoolCopy(src: WrittenInstance, spool: string, name: string): Promise<WrittenInstance> {
  await mkdir(spool, { recursive: true });
  const path = join(spool, name);
  await copyFile(src.path, path);
  return { ...src, path };
}

/** Runs `conduit queue ...` in this process (commander, as main.ts wires it). */
async function queue(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  let code = 0;
  const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, cb) => (add(String(chunk)), cb()) });
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  addQueueCommand(program, { out: sink((s) => (out += s)), err: sink((s) => (err += s)), setExit: (c) => (code = c) });
  try {
    await program.parseAsync(["queue", ...args], { from: "user" });
  } catch (e) {
    err += errorMessage(e);
    code = code || 1;
  }
  return { out, err, code };
}

test("a spool copy is deleted when the last job using it is done or dead; kept files never are", async () => {
  const rx = await startStorescp({ dir: await tmpDir("rx"), aet: "UP" });
  const downPort = await freePort();
  const f = await openOutbox({ peers: { UP: { host: "127.0.0.1", port: rx.port }, DOWN: { host: "127.0.0.1", port: downPort } }, outbox: { maxAttempts: 3, retryDelay: 0.3, maxRetryDelay: 0.3 } });
  const src = await tmpDir("src");
  const kept = await writeInstance(join(src, "kept.dcm"), small);
  const spooled = await spoolCopy(await writeInstance(join(src, "s.dcm"), small), join(f.dir, ".spool"), "s.dcm");
  f.enqueue("UP", [kept]);
  f.enqueue("UP", [spooled], { spooled: true });
  f.enqueue("DOWN", [spooled], { spooled: true });
  await until("UP jobs done", () => f.jobs("done").length === 2);
  assert.ok(existsSync(spooled.path), "still needed by the DOWN job");
  await until("DOWN job dead", () => f.jobs("dead").length === 1);
  await until("spool copy deleted", () => !existsSync(spooled.path));
  assert.ok(existsSync(kept.path), "a kept object is never deleted");
  await f.close();
});

test("queue list, retry and purge on the catalog; a running outbox picks up retried jobs", async () => {
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "RX" });
  const f = await openOutbox({ peers: { RX: { host: "127.0.0.1", port: rx.port } }, noStart: true });
  const src = await tmpDir("src");
  const a = await writeInstance(join(src, "a.dcm"), small);
  const b = await spoolCopy(await writeInstance(join(src, "b.dcm"), small), join(f.dir, ".spool"), "b.dcm");
  const c = await writeInstance(join(src, "c.dcm"), small);
  f.catalog.db.transaction(() => f.outbox.store.add([toJob("RX", a), toJob("PACS", b, true), toJob("RX", c)]))();
  // As a crashed run may leave them: a dead job, a dead job whose spool copy is still there, a queued one.
  const [ja, jb] = f.jobs();
  f.outbox.store.claim("RX", 1);
  f.outbox.store.dead(ja!.id, "RX answered 0xA700 Refused: out of resources (after 10 attempts)");
  f.outbox.store.claim("PACS", 1);
  f.outbox.store.dead(jb!.id, "connection refused");

  const list = await queue("list", "--data", f.dir);
  assert.equal(list.code, 0, list.err);
  const [head, ...lines] = list.out.trim().split("\n");
  assert.match(head!, /^id\s+destination\s+state\s+attempts\s+next attempt\s+last error\s+sop instance uid\s+origin$/);
  assert.match(lines[0]!, new RegExp(`^1\\s+RX\\s+dead\\s+1\\s+-\\s+RX answered 0xA700.*${a.sopInstanceUid}\\s+test\\.rules:1$`));
  assert.match(lines[2]!, /^3\s+RX\s+queued\s+0\s+now\s/);
  assert.match(lines.at(-1)!, /3 job\(s\) shown; totals: PACS dead: 1, RX dead: 1, RX queued: 1/);

  const dead = JSON.parse((await queue("list", "--data", f.dir, "--state", "dead", "--json")).out) as { jobs: Array<{ id: number; destination: string }> };
  assert.deepEqual(dead.jobs.map((j) => j.destination), ["RX", "PACS"]);
  const limited = JSON.parse((await queue("list", "--data", f.dir, "--limit", "1", "--json")).out) as { jobs: unknown[] };
  assert.equal(limited.jobs.length, 1);
  const bad = await queue("list", "--data", f.dir, "--state", "bogus");
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--state must be one of queued, active, done, dead/);
  const missing = await queue("list", "--data", join(f.dir, "nowhere"));
  assert.match(missing.err, /no catalog at .*nowhere/);

  // The outbox runs now: it sends the queued job, then the one retried from the CLI (another connection).
  f.outbox.start();
  await until("queued job done", () => f.jobs("done").length === 1);
  const retry = await queue("retry", "--data", f.dir, "--destination", "RX");
  assert.match(retry.out, /^1 job\(s\) queued again/);
  await until("retried job done (picked up by polling)", () => f.jobs("done").length === 2, 10_000);
  await receivedFile(rxDir, a.sopInstanceUid);
  assert.equal(f.jobs().find((j) => j.id === ja!.id)!.attempts, 1, "attempts were reset by retry");

  assert.ok(existsSync(b.path));
  const purge = await queue("purge", "--data", f.dir, "--json");
  assert.deepEqual(JSON.parse(purge.out), { purged: 3 });
  assert.equal(f.jobs().length, 0);
  assert.ok(!existsSync(b.path), "purge deleted the spool copy no job needs");
  assert.ok(existsSync(a.path) && existsSync(c.path), "kept objects stay");
  await f.close();
});

test("Outbox.retry and purge work on the same rows; counts group by destination and state", async () => {
  const port = await freePort();
  const f = await openOutbox({ peers: { DOWN: { host: "127.0.0.1", port } }, outbox: { maxAttempts: 1 } });
  const x = await writeInstance(join(await tmpDir("src"), "x.dcm"), small);
  f.enqueue("DOWN", [x, x]);
  await until("dead", () => f.jobs("dead").length === 2);
  assert.deepEqual(f.outbox.counts(), [{ destination: "DOWN", state: "dead", count: 2 }]);
  assert.equal(f.outbox.retry({ destination: "ELSEWHERE" }), 0);
  assert.equal(f.outbox.retry({ destination: "DOWN" }), 2);
  await until("dead again", () => f.jobs("dead").length === 2);
  assert.equal(await f.outbox.purge({ state: "queued" }), 0);
  assert.equal(await f.outbox.purge(), 2);
  assert.deepEqual(f.outbox.counts(), []);
  await f.close();
});

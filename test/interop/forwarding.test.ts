// Forwarding end to end with DCMTK: storescu → Conduit → two storescp receivers routed by Modality with coercion
// (checked with dcmdump on what they received), a receiver that is down at first, dead letters and the queue CLI,
// transfer syntax fallback (implicit-only receiver) and the compressed no-context failure, kill -9 of Conduit.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { compress, makeStudy, readMeta, readPixelData, writeInstance } from "../support/dicom-files.js";
import { freePort, runTool, startDcmtkServer, startStorescp } from "../support/dcmtk.js";
import { startConduit, storedFiles, type TestServer } from "../support/conduit.js";
import { until } from "../support/wait.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";
import { BIN, conduitCli } from "../support/cli.js";

after(runCleanups);


async function rulesDir(text: string): Promise<string> {
  const dir = await tmpDir("rules");
  await writeFile(join(dir, "10.rules"), text);
  return dir;
}

const received = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith("."));
const jobs = (c: TestServer, state?: string) => c.server.outbox.store.list({ state: state as never });

test("route by Modality to two storescp receivers with coercion; bytes are the coerced stored bytes; one association reused", async () => {
  const ctDir = await tmpDir("rx-ct");
  const mrDir = await tmpDir("rx-mr");
  const rxCt = await startStorescp({ dir: ctDir, aet: "RX_CT", args: ["-v"] });
  const rxMr = await startStorescp({ dir: mrDir, aet: "RX_MR", args: ["-v"] });
  const rules = await rulesDir(`
on store { set InstitutionName = "Routed Hospital" remove PatientAddress }
on store when Modality == "CT" { forward to RX_CT }
on store when Modality == "MR" { forward to RX_MR }
`);
  const c = await startConduit({
    rules: { dir: rules },
    watch: false,
    peers: { RX_CT: { host: "127.0.0.1", port: rxCt.port, concurrency: 1 }, RX_MR: { host: "127.0.0.1", port: rxMr.port } },
  });
  const src = await tmpDir("src");
  const ct = await makeStudy(join(src, "ct"), { count: 8, modality: "CT", extra: [{ tag: 0x00101040, vr: "LO", value: "Street 1" }] });
  const mr = await makeStudy(join(src, "mr"), { count: 3, modality: "MR" });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "+r", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  await until("11 forwards done", () => jobs(c, "done").length === 11);
  assert.deepEqual((await received(ctDir)).length, 8);
  assert.deepEqual((await received(mrDir)).length, 3);
  const stored = await storedFiles(c.root);
  for (const inst of ct.instances) {
    const f = (await received(ctDir)).find((n) => n.includes(inst.sopInstanceUid));
    assert.ok(f, `CT ${inst.sopInstanceUid} reached RX_CT`);
    const dump = await runTool("dcmdump", ["-q", join(ctDir, f!)]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /\(0008,0080\) LO \[Routed Hospital\]/);
    assert.doesNotMatch(dump.stdout, /\(0010,1040\)/);
    assert.deepEqual(await readPixelData(join(ctDir, f!)), await readPixelData(inst.path));
    assert.ok(stored.some((s) => s.endsWith(`${inst.sopInstanceUid}.dcm`)), "the object is also kept locally");
  }
  for (const inst of mr.instances) assert.ok((await received(mrDir)).some((n) => n.includes(inst.sopInstanceUid)));
  // Consecutive objects share one association (concurrency 1 for RX_CT; storescp serves one at a time anyway).
  const assocs = (rxCt.output().match(/Association Acknowledged/g) ?? []).length;
  assert.equal(assocs, 1, `RX_CT saw ${assocs} associations for 8 objects:\n${rxCt.output()}`);
});

test("a receiver down at first gets everything once it starts; a pure router keeps nothing", async () => {
  const port = await freePort();
  const rules = await rulesDir(`on store { forward to LATE discard }`);
  const c = await startConduit({ rules: { dir: rules }, watch: false, peers: { LATE: { host: "127.0.0.1", port } }, outbox: { retryDelay: 0.2, maxRetryDelay: 1 } });
  const src = await tmpDir("src");
  const study = await makeStudy(src, { count: 5 });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(c.port), src]);
  assert.equal(r.code, 0, r.stderr);
  await until("a failed attempt", () => jobs(c).some((j) => j.attempts > 0));
  assert.equal(jobs(c, "done").length, 0);
  const dir = await tmpDir("late");
  const rx = await startDcmtkServer("storescp", ["-od", dir, "+xa", String(port)], port);
  registerCleanup(() => rx.stop());
  await until("5 forwards done", () => jobs(c, "done").length === 5);
  const got = await received(dir);
  for (const inst of study.instances) assert.ok(got.some((n) => n.includes(inst.sopInstanceUid)), inst.sopInstanceUid);
  assert.deepEqual(await storedFiles(c.root), [], "nothing kept");
  await until("spool emptied", async () => (await readdir(join(c.root, ".spool")).catch(() => [])).length === 0);
});

test("dead letter after maxAttempts with the last error; queue list/retry/purge from the CLI", async () => {
  const port = await freePort();
  const data = await tmpDir("dl-data");
  const rules = await rulesDir(`on store { forward to NOBODY }`);
  const c = await startConduit({ storage: { root: data }, rules: { dir: rules }, watch: false, peers: { NOBODY: { host: "127.0.0.1", port } }, outbox: { retryDelay: 0.1, maxRetryDelay: 0.2, maxAttempts: 3 } });
  const src = await tmpDir("src");
  await writeInstance(join(src, "a.dcm"), {});
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(c.port), join(src, "a.dcm")])).code, 0);
  await until("dead letter", () => jobs(c, "dead").length === 1);
  const dead = jobs(c, "dead")[0]!;
  assert.equal(dead.attempts, 3);
  assert.match(dead.lastError ?? "", /ECONNREFUSED|refused|connect/i);
  const cli = (args: string[]) => conduitCli(["queue", ...args, "--data", data]);
  const list = await cli(["list", "--state", "dead", "--destination", "NOBODY"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /NOBODY\s+dead\s+3/);
  const json = JSON.parse((await cli(["list", "--json"])).stdout) as { jobs: Array<{ state: string }> };
  assert.equal(json.jobs.length, 1);
  const bad = await cli(["list", "--state", "bogus"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--state must be one of/);
  // The receiver comes up; retry from the CLI; the running server delivers.
  const dir = await tmpDir("rx");
  const rx = await startDcmtkServer("storescp", ["-od", dir, "+xa", String(port)], port);
  registerCleanup(() => rx.stop());
  const retry = await cli(["retry", "--destination", "NOBODY"]);
  assert.match(retry.stdout, /1 job\(s\) queued again/);
  c.server.outbox.wake();
  await until("delivered after retry", () => jobs(c, "done").length === 1);
  const purge = await cli(["purge"]);
  assert.match(purge.stdout, /1 job\(s\) deleted/);
  assert.equal(jobs(c).length, 0);
});

test("transfer syntax fallback: explicit LE sent as implicit LE to an implicit-only receiver; JPEG to an uncompressed-only one fails clearly", async () => {
  const implicitDir = await tmpDir("rx-imp");
  const port1 = await freePort();
  const rx1 = await startDcmtkServer("storescp", ["-od", implicitDir, "+xi", String(port1)], port1);
  registerCleanup(() => rx1.stop());
  const plainDir = await tmpDir("rx-plain");
  const port2 = await freePort();
  const rx2 = await startDcmtkServer("storescp", ["-od", plainDir, String(port2)], port2);
  registerCleanup(() => rx2.stop());
  const rules = await rulesDir(`on store when Modality == "CT" { forward to IMPLICIT } on store when Modality == "MR" { forward to PLAIN }`);
  const c = await startConduit({ rules: { dir: rules }, watch: false, peers: { IMPLICIT: { host: "127.0.0.1", port: port1 }, PLAIN: { host: "127.0.0.1", port: port2 } } });
  const src = await tmpDir("src");
  const ex = await writeInstance(join(src, "ex.dcm"), { modality: "CT", transferSyntax: "explicit" });
  const plain = await writeInstance(join(src, "mr-plain.dcm"), { modality: "MR", rows: 64, columns: 64, pixelBytes: 64 * 64 * 2 });
  await mkdir(join(src, "j"));
  await compress(plain.path, join(src, "j", "mr.dcm"), "jpeg-lossless");
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "-xs", "127.0.0.1", String(c.port), join(src, "j", "mr.dcm")])).code, 0);
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "-xe", "127.0.0.1", String(c.port), ex.path])).code, 0);
  await until("both jobs settled", () => jobs(c, "done").length + jobs(c, "dead").length === 2);
  const got = await received(implicitDir);
  assert.equal(got.length, 1);
  assert.equal((await readMeta(join(implicitDir, got[0]!))).transferSyntaxUid, "1.2.840.10008.1.2");
  assert.deepEqual(await readPixelData(join(implicitDir, got[0]!)), await readPixelData(ex.path));
  const dump = await runTool("dcmdump", ["-q", join(implicitDir, got[0]!)]);
  assert.equal(dump.stderr, "");
  const dead = jobs(c, "dead");
  assert.equal(dead.length, 1);
  assert.match(dead[0]!.lastError ?? "", /PLAIN accepted no presentation context for .* in JPEGLossless.*1\.2\.840\.10008\.1\.2\.4\.70.*does not decompress/);
  assert.equal(dead[0]!.attempts, 1, "a permanent failure is not retried");
  assert.deepEqual(await received(plainDir), []);
});

test("kill -9 of Conduit between receive and forward loses nothing: the restarted server delivers every object", async () => {
  const port = await freePort();
  const cwd = await tmpDir("k9");
  await mkdir(join(cwd, "rules"));
  await writeFile(join(cwd, "rules", "10.rules"), `on store { forward to DOWNSTREAM }`);
  const cfg = { host: "127.0.0.1", port: 0, watch: false, storage: { root: "./data", minFreeBytes: 0 }, rules: { dir: "./rules" }, peers: { DOWNSTREAM: { host: "127.0.0.1", port } }, outbox: { retryDelay: 0.2, maxRetryDelay: 0.5 } };
  await writeFile(join(cwd, "conduit.json"), JSON.stringify(cfg));
  const startProc = async () => {
    const p = spawn(process.execPath, [BIN, "start", "--config", "conduit.json"], { cwd, env: { ...process.env, CONDUIT_LOG_LEVEL: "info" } });
    registerCleanup(() => void p.kill("SIGKILL"));
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const listening = await new Promise<number>((resolve, reject) => {
      p.stdout.on("data", () => {
        const m = /"msg":"Conduit listening"/.test(out) && /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    return { p, port: listening, out: () => out };
  };
  const first = await startProc();
  const src = await tmpDir("src");
  const study = await makeStudy(src, { count: 6 });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "127.0.0.1", String(first.port), src]);
  assert.equal(r.code, 0, r.stderr);
  first.p.kill("SIGKILL");
  await new Promise((res) => first.p.once("exit", res));
  const dir = await tmpDir("rx");
  const rx = await startDcmtkServer("storescp", ["-od", dir, "+xa", String(port)], port);
  registerCleanup(() => rx.stop());
  const second = await startProc();
  await until("all 6 delivered after restart", async () => (await received(dir)).length === 6);
  const got = await received(dir);
  for (const inst of study.instances) assert.ok(got.some((n) => n.includes(inst.sopInstanceUid)), inst.sopInstanceUid);
  second.p.kill("SIGTERM");
  await new Promise((res) => second.p.once("exit", res));
});

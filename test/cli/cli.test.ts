// The `conduit` command as a user runs it: start (embedded defaults, graceful SIGTERM), echo, store, config errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { writeFile, readdir } from "node:fs/promises";
import { makeStudy } from "../support/dicom-files.js";
import { runTool, startStorescp } from "../support/dcmtk.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

const BIN = join(import.meta.dirname, "..", "..", "bin", "conduit.js");

function conduit(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, CONDUIT_LOG_LEVEL: "info" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test("conduit start with embedded defaults (port overridden), receives from storescu, stops cleanly on SIGTERM", async () => {
  const cwd = await tmpDir("cli-start");
  const p = spawn(process.execPath, [BIN, "start", "--port", "0", "--host", "127.0.0.1"], { cwd, env: { ...process.env, CONDUIT_LOG_LEVEL: "info" } });
  registerCleanup(() => void p.kill("SIGKILL"));
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    p.stdout.on("data", () => {
      const m = /"msg":"Conduit listening"/.test(out) && /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  assert.match(out, /"ae":"CONDUIT"/);
  const src = await tmpDir("cli-src");
  await makeStudy(src, { count: 2, patientId: "CLI", pixelBytes: 4096 });
  const r = await runTool("storescu", ["-aec", "CONDUIT", "+sd", "+r", "127.0.0.1", String(port), src]);
  assert.equal(r.code, 0, r.stderr);
  const exit = new Promise<number | null>((resolve) => p.on("exit", resolve));
  p.kill("SIGTERM");
  assert.equal(await exit, 0);
  assert.match(out, /Conduit stopped/);
  // Embedded default storage root: ./data with the catalog inside.
  const top = await readdir(join(cwd, "data"));
  assert.ok(top.includes("conduit.db"));
  assert.ok(top.includes("CLI"));
});

test("conduit echo and conduit store against storescp; store prints a summary and exits 0", async () => {
  const out = await tmpDir("cli-scp");
  const scp = await startStorescp({ dir: out });
  const e = await conduit(["echo", "127.0.0.1", String(scp.port), "--aec", scp.aet]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /0x0000 Success/);
  const src = await tmpDir("cli-src");
  await makeStudy(join(src, "a", "b"), { count: 3, pixelBytes: 4096 });
  await writeFile(join(src, "README.txt"), "not dicom");
  const s = await conduit(["store", "127.0.0.1", String(scp.port), src, "--aec", scp.aet]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /3 stored, 0 with warnings, 0 failed, 1 skipped/);
  assert.match(s.stderr, /README\.txt: skipped/);
  assert.equal((await readdir(out)).length, 3);
});

test("conduit echo to a closed port fails with exit 1 and says why", async () => {
  const r = await conduit(["echo", "127.0.0.1", "1", "--timeout", "2"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot connect to 127\.0\.0\.1:1/);
});

test("a bad config file: every problem reported with its path, exit non-zero, nothing started", async () => {
  const dir = await tmpDir("cli-cfg");
  const cfg = join(dir, "bad.json");
  await writeFile(cfg, JSON.stringify({ port: "eleven", storage: { durability: "maybe", bogus: 1 }, peers: { PACS: { host: "h" } }, extra: true }));
  const r = await conduit(["start", "--config", cfg]);
  assert.notEqual(r.code, 0);
  for (const path of ["port", "storage.durability", "storage.bogus", "peers.PACS.port", "extra"]) {
    assert.match(r.stderr, new RegExp(`bad\\.json: ${path.replace(/\./g, "\\.")}:`), path);
  }
});

test("usage errors exit 2", async () => {
  const r = await conduit(["echo", "127.0.0.1", "notaport"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /port must be an integer/);
});

// Hot reload of the config file together with the rules: a rule naming a peer the config lacks is refused until
// the config gains that peer; then both swap in at once, and new associations see the new generation.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Server } from "../../src/server.js";
import { loadConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/log/logger.js";
import { writeInstance } from "../support/dicom-files.js";
import { runTool, startStorescp } from "../support/dcmtk.js";
import { registerCleanup, runCleanups, tmpDir } from "../support/tmp.js";

after(runCleanups);

test("config file and rules reload together; a rule naming an unknown peer is refused until the config has it", async () => {
  const dir = await tmpDir("cfg");
  await mkdir(join(dir, "rules"));
  const rxDir = await tmpDir("rx");
  const rx = await startStorescp({ dir: rxDir, aet: "NEWPEER" });
  const base = { host: "127.0.0.1", port: 0, watch: true, storage: { root: "./data", minFreeBytes: 0 }, rules: { dir: "./rules" }, plugins: { dir: "./plugins" } };
  const file = join(dir, "conduit.json");
  await writeFile(file, JSON.stringify(base));
  const server = await Server.start({ config: loadConfig(file), configFile: file, logger: silentLogger() });
  registerCleanup(() => server.close());
  const gen0 = server.generation.id;
  await writeFile(join(dir, "rules", "10.rules"), `on store { forward to NEWPEER }`);
  assert.equal(await server.reload(), false, "NEWPEER is not a peer yet");
  assert.equal(server.generation.id, gen0);
  await writeFile(file, JSON.stringify({ ...base, peers: { NEWPEER: { host: "127.0.0.1", port: rx.port } } }));
  assert.equal(await server.reload(), true);
  assert.ok(server.generation.id > gen0);
  assert.ok(server.generation.config.peers.NEWPEER);
  const src = await tmpDir("src");
  const f = await writeInstance(join(src, "a.dcm"), {});
  assert.equal((await runTool("storescu", ["-aec", "CONDUIT", "127.0.0.1", String(server.port), f.path])).code, 0);
  const end = Date.now() + 30_000;
  while (server.outbox.store.list({ state: "done" }).length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.outbox.store.list({ state: "done" }).length, 1);
  // A config file that no longer validates keeps everything running.
  await writeFile(file, JSON.stringify({ ...base, port: "not a port" }));
  assert.equal(await server.reload(), false);
  assert.ok(server.generation.config.peers.NEWPEER);
});

// The host API inside the sandbox: conduit.kv persists in the catalog across reloads (per plugin), lookup and
// table read CSV files of the plugin's own folder only, log reaches Conduit's log, now() is the event's time.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Catalog } from "../../src/catalog/index.js";
import { KV_LIMITS } from "../../src/plugins/host-api.js";
import { runCleanups, tmpDirSync } from "../support/tmp.js";
import { ctHeader, ctx, loadPlugins, run } from "./fixtures.js";

after(runCleanups);

const COUNTER = `conduit.on("stored", () => {
  const n = (conduit.kv.get("count") ?? 0) + 1;
  conduit.kv.set("count", n);
  conduit.kv.set("last", { n, at: conduit.now() });
  return { log: "count " + n };
});
conduit.on("echo", () => ({ log: JSON.stringify([conduit.kv.get("count"), conduit.kv.delete("count"), conduit.kv.delete("count"), conduit.kv.get("count")]) }));`;

test("kv values persist in the catalog across reloads and restarts, one namespace per plugin", async () => {
  const dir = tmpDirSync("plugin-kv");
  const file = join(dir, "catalog.db");
  const counts = async (): Promise<string[]> => {
    const catalog = Catalog.open(file);
    try {
      const { plugins } = await loadPlugins({ "counter.js": COUNTER, "other.js": COUNTER.replace(/"stored"/, '"release"') }, { db: catalog.db, dir: join(dir, "plugins") });
      const logs = [run(plugins, ctx("stored", ctHeader())), run(plugins, ctx("stored", ctHeader()))].map((r) => r.decision.logs.join());
      run(plugins, ctx("release"));
      plugins.dispose();
      return logs;
    } finally {
      catalog.close();
    }
  };
  assert.deepEqual(await counts(), ["count 1", "count 2"]);
  assert.deepEqual(await counts(), ["count 3", "count 4"], "a new generation (and a reopened catalog) continues");
  const catalog = Catalog.open(file);
  const rows = catalog.db.prepare("SELECT plugin, key, value FROM plugin_kv ORDER BY plugin, key").all();
  assert.deepEqual(rows, [
    { plugin: "counter", key: "count", value: "4" },
    { plugin: "counter", key: "last", value: JSON.stringify({ n: 4, at: Date.parse("2024-06-11T09:00:00Z") }) },
    { plugin: "other", key: "count", value: "2" },
    { plugin: "other", key: "last", value: JSON.stringify({ n: 2, at: Date.parse("2024-06-11T09:00:00Z") }) },
  ]);
  const { plugins } = await loadPlugins({ "counter.js": COUNTER }, { db: catalog.db });
  assert.deepEqual(run(plugins, ctx("echo")).decision.logs, ["[4,true,false,null]"]);
  plugins.dispose();
  catalog.close();
});

test("kv refuses oversized keys and values with an error the plugin can catch", async () => {
  const { plugins } = await loadPlugins({
    "big.js": `conduit.on("echo", () => {
      const errors = [];
      for (const [k, v] of [["k".repeat(${KV_LIMITS.keyChars + 1}), 1], ["", 1], ["v", "x".repeat(${KV_LIMITS.valueBytes})]]) {
        try { conduit.kv.set(k, v); errors.push("stored"); } catch (e) { errors.push(e.message); }
      }
      try { conduit.kv.set("u", undefined); } catch (e) { errors.push(e.message); }
      return { log: errors };
    });`,
  });
  const logs = run(plugins, ctx("echo")).decision.logs;
  assert.match(logs[0]!, /kv keys are 1 to 256 characters/);
  assert.match(logs[1]!, /kv keys are 1 to 256 characters/);
  assert.match(logs[2]!, /kv values are at most 65536 bytes/);
  assert.match(logs[3]!, /use kv.delete/);
  plugins.dispose();
});

test("lookup and table read CSV files inside the plugin's folder and nothing outside it", async () => {
  const root = tmpDirSync("plugin-lookup");
  const folder = join(root, "plugins");
  mkdirSync(join(folder, "tables"), { recursive: true });
  writeFileSync(join(root, "secret.csv"), "key,value\nroot,hunter2\n");
  writeFileSync(join(folder, "tables", "stations.csv"), "station,institution,room\nCT1,General Hospital,R1\n\"MR,1\",\"Clinic \"\"North\"\"\",R2\n");
  symlinkSync(join(root, "secret.csv"), join(folder, "tables", "link.csv"));
  const { plugins } = await loadPlugins({
    "tables.js": `conduit.on("echo", () => {
      const out = [conduit.lookup("tables/stations.csv", "CT1"), String(conduit.lookup("tables/stations.csv", "MR,1", "room")),
        String(conduit.lookup("tables/stations.csv", "nope")), JSON.stringify(conduit.table("tables/stations.csv"))];
      for (const path of ["../secret.csv", "${join(root, "secret.csv")}", "tables/link.csv", "tables/missing.csv", "tables/../../secret.csv"]) {
        try { out.push("read " + conduit.lookup(path, "root")); } catch (e) { out.push(e.message); }
      }
      try { conduit.lookup("tables/stations.csv", "CT1", "floor"); } catch (e) { out.push(e.message); }
      return { log: out };
    });`,
  }, { dir: folder });
  const logs = run(plugins, ctx("echo")).decision.logs;
  assert.equal(logs[0], "General Hospital");
  assert.equal(logs[1], "R2");
  assert.equal(logs[2], "undefined");
  assert.deepEqual(JSON.parse(logs[3]!), [{ station: "CT1", institution: "General Hospital", room: "R1" }, { station: "MR,1", institution: 'Clinic "North"', room: "R2" }]);
  assert.match(logs[4]!, /is outside the plugin's folder/);
  assert.match(logs[5]!, /is outside the plugin's folder/);
  assert.match(logs[6]!, /leads outside the plugin's folder/);
  assert.match(logs[7]!, /no such table in the plugin's folder/);
  assert.doesNotMatch(logs[7]!, new RegExp(root), "host paths are not revealed");
  assert.match(logs[8]!, /is outside the plugin's folder/);
  assert.match(logs[9]!, /no column "floor"/);
  assert.ok(!logs.some((l) => l.includes("hunter2")));
  // The table is re-read when the file changes.
  writeFileSync(join(folder, "tables", "stations.csv"), "station,institution\nCT1,New Name\n");
  utimesSync(join(folder, "tables", "stations.csv"), new Date(), new Date(Date.now() + 5000));
  const again = run(plugins, ctx("echo"));
  assert.equal(again.decision.logs[0], "New Name", JSON.stringify(again));
  plugins.dispose();
});

test("conduit.log reaches Conduit's log with the plugin's name; now() is the event's time", async () => {
  const { plugins, log } = await loadPlugins({
    "talk.js": `conduit.on("associate", (input) => {
      conduit.log("warn", "calling", input.origin.callingAE, { n: 1 });
      conduit.log("loud", "unknown levels log at info");
      return { log: String(conduit.now() === input.now) + " " + new Date(conduit.now()).toISOString() };
    });`,
  });
  const r = run(plugins, ctx("associate", undefined, {}, new Date("2030-01-02T03:04:05Z")));
  assert.deepEqual(r.decision.logs, ["true 2030-01-02T03:04:05.000Z"]);
  const lines = log.lines().filter((l) => l.plugin === "talk");
  assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40, 'calling CT1 {"n":1}'], [30, "unknown levels log at info"]]);
  plugins.dispose();
});

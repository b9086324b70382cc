import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { Catalog, CatalogReader } from "../../src/catalog/index.js";
import { isConduitError } from "../../src/errors.js";
import { tmpDir, runCleanups } from "../support/tmp.js";
import { record } from "./fixtures.js";

after(runCleanups);

async function filled(n: number): Promise<{ file: string; catalog: Catalog }> {
  const file = join(await tmpDir("reader"), "conduit.db");
  const catalog = Catalog.open(file);
  for (let i = 0; i < n; i++) {
    const p = i % 2;
    const ids = { sop: `1.${i}`, patientId: `P${p}`, study: `ST${p}`, series: `SE${p}.${i % 3}`, patientName: p ? "MÜLLER^JÜRGEN" : "DOE^JOHN" };
    catalog.insertInstance(record(ids, 10));
  }
  return { file, catalog };
}

test("reader: query from a worker while the writer inserts", async () => {
  const { file, catalog } = await filled(100);
  const reader = new CatalogReader(file);
  try {
    let last = 0;
    for (let round = 0; round < 20; round++) {
      const pending = reader.query<{ n: number }>("SELECT COUNT(*) AS n FROM instances WHERE size = ?", [10]);
      for (let i = 0; i < 50; i++) catalog.insertInstance(record({ sop: `2.${round}.${i}`, series: "S9" }, 10));
      const [row] = await pending;
      assert.ok(row && row.n >= last && row.n <= 100 + (round + 1) * 50, `count ${row?.n} after ${last}`);
      last = row.n;
      await tick();
    }
    const [final] = await reader.query<{ n: number }>("SELECT COUNT(*) AS n FROM instances");
    assert.equal(final!.n, 1100);
    const names = await reader.query<{ PatientName: string }>("SELECT DISTINCT PatientName FROM patients WHERE PatientName LIKE ? ORDER BY 1", ["%^J%"]);
    assert.deepEqual(names.map((r) => r.PatientName), ["DOE^JOHN", "MÜLLER^JÜRGEN"]);
  } finally {
    await reader.close();
    catalog.close();
  }
});

test("reader: iterate streams batches in order, stops early, and reports consumer errors", async () => {
  const { file, catalog } = await filled(1000);
  const reader = new CatalogReader(file, { workers: 2, window: 1 });
  try {
    const sizes: number[] = [];
    const seen: string[] = [];
    const total = await reader.iterate<{ uid: string }>("SELECT SOPInstanceUID AS uid FROM instances ORDER BY id", [], 64, async (rows) => {
      sizes.push(rows.length);
      for (const r of rows) seen.push(r.uid);
      await tick(); // a slow consumer: the worker waits for credit
    });
    assert.equal(total, 1000);
    assert.equal(seen.length, 1000);
    assert.equal(seen[0], "1.0");
    assert.equal(seen[999], "1.999");
    assert.deepEqual(sizes.slice(0, -1).filter((s) => s !== 64), []);

    let batches = 0;
    const stopped = await reader.iterate("SELECT id FROM instances", [], 10, () => ++batches < 3);
    assert.equal(stopped, 30);
    assert.equal(batches, 3);

    await assert.rejects(
      reader.iterate("SELECT id FROM instances", [], 10, () => {
        throw new Error("consumer broke");
      }),
      /consumer broke/,
    );
    // The worker is free again afterwards.
    const [row] = await reader.query<{ n: number }>("SELECT COUNT(*) AS n FROM series");
    assert.equal(row!.n, 6);
  } finally {
    await reader.close();
    catalog.close();
  }
});

test("reader: bad SQL, writes and parallel queries on two workers", async () => {
  const { file, catalog } = await filled(10);
  const reader = new CatalogReader(file, { workers: 2 });
  try {
    await assert.rejects(reader.query("SELECT nope FROM instances"), (e: unknown) => isConduitError(e, "CATALOG_IO") && /no such column/.test((e as Error).message));
    await assert.rejects(reader.query("DELETE FROM instances"), (e: unknown) => isConduitError(e, "CATALOG_IO") && /read-only/.test((e as Error).message));
    assert.equal(catalog.instanceCount(), 10);
    // Values are bound, never spliced into the SQL text.
    const injected = await reader.query("SELECT id FROM patients WHERE PatientID = ?", ["x' OR '1'='1"]);
    assert.deepEqual(injected, []);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => reader.query<{ n: number }>("SELECT COUNT(*) + ? AS n FROM instances", [i])));
    assert.deepEqual(results.map((r) => r[0]!.n), [10, 11, 12, 13, 14, 15, 16, 17]);
    // A long query runs on a worker: the event loop keeps turning meanwhile (printed, not asserted).
    let ticks = 0;
    let spinning = true;
    const spin = (async () => {
      while (spinning) {
        await tick();
        ticks++;
      }
    })();
    const t0 = performance.now();
    await reader.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT COUNT(*) AS n FROM c");
    spinning = false;
    await spin;
    console.log(`catalog reader: 3M-row CTE took ${(performance.now() - t0).toFixed(0)} ms; event loop turned ${ticks} times meanwhile`);
  } finally {
    await reader.close();
    catalog.close();
  }
  await assert.rejects(reader.query("SELECT 1"), /closed/);
});

test("reader: a missing catalog file fails the query, not the process", async () => {
  const reader = new CatalogReader(join(await tmpDir("reader"), "absent.db"));
  try {
    await assert.rejects(reader.query("SELECT 1"), (e: unknown) => isConduitError(e, "CATALOG_IO"));
  } finally {
    await reader.close();
  }
  assert.throws(() => new CatalogReader(":memory:"), (e: unknown) => isConduitError(e, "CATALOG_IO"));
});

// `conduit check` and `conduit explain` as a user runs them: diagnostics with file:line:col and a hint, a non-zero
// exit on errors, and a dry run that shows matching rules and their effects without writing anything.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { writeInstance } from "../support/dicom-files.js";
import { runCleanups, tmpDir } from "../support/tmp.js";
import { conduitCli } from "../support/cli.js";

after(runCleanups);

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const conduit = (args: string[], cwd?: string) => conduitCli(args, { cwd });

test("conduit check prints file:line:col diagnostics with hints and exits 1; a clean folder exits 0", async () => {
  const dir = await tmpDir("check");
  await mkdir(join(dir, "rules"));
  await writeFile(join(dir, "rules", "10-bad.rules"), `on store when Modalty == "CT" {\n  forward to NOWHERE\n}\non store { store at "x/{PatientID}.dcm" `);
  await writeFile(join(dir, "rules", "20-good.rules"), `on store when Modality == "CT" { store at "ct/{SOPInstanceUID}.dcm" }`);
  const bad = await conduit(["check", "rules"], dir);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const file = join("rules", "10-bad.rules");
  assert.match(bad.stderr, new RegExp(`${file.replace(/\//g, "\\/")}:1:15: error: unknown attribute "Modalty"\\n  hint: did you mean Modality\\?`));
  assert.match(bad.stderr, /10-bad\.rules:2:3: error: forward destination "NOWHERE" is not in the config's peers\n  hint: /);
  assert.match(bad.stderr, /10-bad\.rules:4:\d+: error: expected "}" \(the end of the rule\) but found end of file/);
  assert.match(bad.stdout, /2 rule file\(s\).*3 error\(s\)/);
  const good = await conduit(["check", join("rules", "20-good.rules")], dir);
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stderr, "");
});

test("the shipped rules and every example check clean against their configs", async () => {
  const root = join(import.meta.dirname, "..", "..");
  const shipped = await conduit(["check"], root);
  assert.equal(shipped.code, 0, shipped.stderr);
  for (const ex of await readdir(EXAMPLES)) {
    const cfg = join(EXAMPLES, ex, "conduit.json");
    const r = await conduit(["check", "--config", cfg]);
    assert.equal(r.code, 0, `${ex}: ${r.stderr}`);
    assert.match(r.stdout, /([1-9]\d* rule\(s\)|[1-9]\d* plugin\(s\)): 0 error\(s\)/, `${ex} must have rules or plugins: ${r.stdout}`);
  }
});

test("conduit explain shows matching rules, coercions, the path and forwards, and writes nothing", async () => {
  const dir = await tmpDir("explain");
  const cfg = join(EXAMPLES, "two-pacs-router", "conduit.json");
  const f = await writeInstance(join(dir, "us.dcm"), {
    modality: "US",
    studyDescription: "Echo cardiography",
    accessionNumber: "GH-77",
    extra: [{ tag: 0x00101040, vr: "LO", value: "somewhere" }],
  });
  const before = await readdir(dir);
  const r = await conduit(["explain", f.path, "--config", cfg, "--calling-ae", "CT1"], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /matching rules:/);
  assert.match(r.stdout, /10-coerce\.rules:\d+ \(on store\)/);
  assert.match(r.stdout, /20-route\.rules:\d+ \(on store\)/);
  assert.match(r.stdout, /InstitutionName: .* -> General Hospital/);
  assert.match(r.stdout, /PatientAddress: somewhere -> \(absent\)/);
  assert.match(r.stdout, /AccessionNumber: GH-77 -> 77/);
  assert.match(r.stdout, /would be forwarded to: .*PACS_CARDIO/);
  assert.match(r.stdout, /would be forwarded to: .*PACS_MAIN/);
  assert.match(r.stdout, /not kept \(pure router\)/);
  assert.deepEqual(await readdir(dir), before, "explain writes nothing");
});

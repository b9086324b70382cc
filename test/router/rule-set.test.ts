// The evaluator's semantics: order, later assignments win, stop, the guard index (including a coercion that
// changes a guarded attribute), every condition form, private tags, sequences, and coercion actions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DataSet } from "../../src/dicom/dataset.js";
import { checkRules, parseRules } from "../../src/rules/index.js";
import { RuleSet, type Decision } from "../../src/router/rule-set.js";
import type { EventName } from "../../src/rules/ast.js";

function rules(text: string): RuleSet {
  const p = parseRules(text, "t.rules");
  assert.deepEqual(p.diagnostics, []);
  return new RuleSet([p.ast]);
}

function ds(): DataSet {
  return new DataSet({
    "00080005": { vr: "CS", Value: ["ISO_IR 100"] },
    "00080020": { vr: "DA", Value: ["20240301"] },
    "00080060": { vr: "CS", Value: ["CT"] },
    "00080080": { vr: "LO", Value: ["Old Hospital"] },
    "00081030": { vr: "LO", Value: ["CT Chest with contrast"] },
    "00081110": { vr: "SQ", Value: [{ "00081155": { vr: "UI", Value: ["1.2.3.4"] } }, { "00081155": { vr: "UI", Value: ["5.6.7.8"] } }] },
    "00100010": { vr: "PN", Value: [{ Alphabetic: "Doe^John" }] },
    "00100020": { vr: "LO", Value: ["PID-1"] },
    "00200011": { vr: "IS", Value: [3] },
    "00290010": { vr: "LO", Value: ["ACME 1.0"] },
    "00290011": { vr: "LO", Value: ["OTHER"] },
    "00291010": { vr: "LO", Value: ["acme value"] },
    "00291120": { vr: "LO", Value: ["other value"] },
  });
}

function run(r: RuleSet, data = ds(), callingAE = "CT1", event: EventName = "store"): { d: Decision; data: DataSet } {
  const d = r.evaluate(event, { event, origin: { callingAE, calledAE: "CONDUIT", address: "10.1.2.3", associationId: "7" }, dataset: data, now: new Date(2024, 5, 1, 12) }, { mapUid: (u) => `2.25.${u.length}` });
  return { d, data };
}

const lines = (d: Decision) => d.matched.map((m) => m.line);

test("every matching rule applies in file order; later store paths win; stop ends evaluation", () => {
  const r = rules(`on store { store at "a/{SOPInstanceUID}.dcm" }
on store when Modality == "MR" { store at "mr/x.dcm" }
on store when Modality == "CT" { store at "ct/x.dcm" forward to A }
on store when CallingAE == "CT1" { forward to B stop }
on store { forward to C }`);
  const { d } = run(r);
  assert.deepEqual(lines(d), [1, 3, 4]);
  assert.equal(d.storePath, "ct/x.dcm");
  assert.deepEqual(d.forwards, ["A", "B"]);
  assert.equal(d.stopped, true);
  const other = run(r, ds(), "MR9").d;
  assert.deepEqual(lines(other), [1, 3, 5]);
});

test("the guard index sees a value changed by an earlier rule", () => {
  const r = rules(`on store when Modality == "CT" { set Modality = "MR" }
on store when Modality == "CT" { forward to STILL_CT }
on store when Modality == "MR" { forward to NOW_MR }
on store when CallingAE in ("X", "CT1") { forward to BY_AE }`);
  const { d, data } = run(r);
  assert.deepEqual(d.forwards, ["NOW_MR", "BY_AE"]);
  assert.equal(data.string("Modality"), "MR");
  assert.equal(d.coerced, true);
});

test("condition forms: in, matches, exists/empty, between with today, numbers, sequences, private tags, not/or precedence", () => {
  const cases: Array<[string, boolean]> = [
    [`Modality in ("MR", "CT")`, true],
    [`Modality not in ("MR", "CT")`, false],
    [`StudyDescription matches /chest/i`, true],
    [`StudyDescription matches /chest/`, false],
    [`StudyDescription not matches /^MR/`, true],
    [`PatientName matches /^Doe\\^/`, true],
    [`AccessionNumber exists`, false],
    [`AccessionNumber is empty`, true],
    [`PatientID is not empty`, true],
    [`StudyDate between "20240101" and today`, true],
    [`StudyDate between "20240302" and today`, false],
    [`StudyDate > today - 100d`, true],
    [`StudyDate < "20240302"`, true],
    [`SeriesNumber > 2 and SeriesNumber < 4`, true],
    [`SeriesNumber == "3"`, true],
    [`SeriesNumber between 4 and 9`, false],
    [`ReferencedStudySequence.ReferencedSOPInstanceUID == "5.6.7.8"`, true],
    [`ReferencedStudySequence[0].ReferencedSOPInstanceUID == "5.6.7.8"`, false],
    [`ReferencedStudySequence[1].ReferencedSOPInstanceUID == "5.6.7.8"`, true],
    [`(0029,"ACME 1.0",10) == "acme value"`, true],
    [`(0029,"OTHER",20) == "other value"`, true],
    [`(0029,"MISSING",10) exists`, false],
    [`(0008,0060) == "CT"`, true],
    [`not Modality == "MR" and CallingAE == "CT1"`, true],
    [`Modality == "MR" or Modality == "CT" and CallingAE == "NOPE"`, false],
    [`(Modality == "MR" or Modality == "CT") and PeerAddress matches /^10\\./`, true],
    [`AssociationId == "7" and CalledAE != "OTHER"`, true],
  ];
  for (const [cond, want] of cases) {
    const { d } = run(rules(`on store when ${cond} { discard }`));
    assert.equal(d.discard, want, cond);
  }
});

test("coercion actions: set with template and VR, remove, copy, replace, private set, empty", () => {
  const r = rules(`on store {
  set InstitutionName = "{InstitutionName|upper} ({CallingAE})"
  set (0029,"ACME 1.0",10) = "changed"
  set (0011,"NEW CREATOR",05) as SH = "new"
  remove PatientID
  copy StudyDescription to SeriesDescription
  replace StudyDescription /contrast/ with "IV"
  set PatientComments = empty
}`);
  const { d, data } = run(r);
  assert.equal(d.coerced, true);
  assert.equal(data.string("InstitutionName"), "OLD HOSPITAL (CT1)");
  assert.equal(data.dict["00291010"]?.Value?.[0], "changed");
  const creatorKey = Object.keys(data.dict).find((k) => k.startsWith("001100") && data.dict[k]?.Value?.[0] === "NEW CREATOR");
  assert.ok(creatorKey, "a creator block is reserved");
  const block = creatorKey!.slice(6);
  assert.deepEqual(data.dict[`0011${block}05`], { vr: "SH", Value: ["new"] });
  assert.equal(data.dict["00100020"], undefined);
  assert.equal(data.string("SeriesDescription"), "CT Chest with contrast");
  assert.equal(data.string("StudyDescription"), "CT Chest with IV");
  assert.deepEqual(data.dict["00104000"]?.Value ?? [], []);
});

test("reject carries its status and comment and stops; associate rejects carry the PS3.8 reason", () => {
  const s = run(rules(`on store when Modality == "CT" { reject 0xA700 "full" }\non store { forward to X }`)).d;
  assert.deepEqual(s.reject, { status: 0xa700, source: undefined, reason: undefined, transient: false, message: "full" });
  assert.deepEqual(s.forwards, []);
  const p = parseRules(`on associate when CallingAE == "BAD" { reject "calling-ae-not-recognized" transient }`, "a.rules");
  // The checker resolves the reason name (as buildGeneration does before compiling).
  assert.deepEqual(checkRules(p.ast, { peers: new Set(), commands: new Set(), baseDir: "." }), []);
  const a = new RuleSet([p.ast]).evaluate("associate", { event: "associate", origin: { callingAE: "BAD", calledAE: "C", address: "", associationId: "" }, now: new Date() });
  assert.equal(a.reject?.source, 1);
  assert.equal(a.reject?.reason, 3);
  assert.equal(a.reject?.transient, true);
});


test("200 rules give the same decision with and without the guard index", () => {
  const text = Array.from({ length: 200 }, (_, i) =>
    i % 4 === 0 ? `on store when CallingAE == "AE${i % 7}" { forward to F${i} }` : i % 4 === 1 ? `on store when Modality in ("CT", "X${i}") and SeriesNumber > ${i % 5} { forward to M${i} }` : i % 4 === 2 ? `on store when StudyDescription matches /chest ${i % 3}|contrast/i { forward to R${i} }` : `on store when Modality == "MR" { forward to N${i} }`,
  ).join("\n");
  const indexed = rules(text);
  for (const ae of ["AE0", "AE3", "CT1"]) {
    const d = run(indexed, ds(), ae).d;
    // Reference: evaluate each rule alone, in order.
    const expected: string[] = [];
    for (const line of text.split("\n")) expected.push(...run(rules(line), ds(), ae).d.forwards);
    assert.deepEqual(d.forwards, expected, ae);
    assert.ok(d.forwards.length > 0);
  }
});

test("index kinds (equality, private creator, regex tree, shared conditions) give the decision of rules run alone", () => {
  const kinds = [
    (i: number) => `on store when (0029,"${["ACME 1.0", "OTHER", "NONE"][i % 3]}",${i % 2 ? "10" : "20"}) exists { forward to P${i} }`,
    (i: number) => `on store when StudyDescription matches /chest ${i % 7}|contrast ${i}$|^CT Chest w/${i % 2 ? "i" : ""} { forward to R${i} }`,
    (i: number) => `on store when StudyDate between "20240101" and today and SeriesNumber > ${i % 5} { forward to D${i} }`,
    (i: number) => `on store when not (Modality in ("MR", "X${i % 4}")) and PatientID matches /^PID-${i % 3}/ { forward to N${i} }`,
  ];
  const text = Array.from({ length: 120 }, (_, i) => kinds[i % kinds.length]!(i)).join("\n");
  const indexed = rules(text);
  const expected: string[] = [];
  for (const line of text.split("\n")) expected.push(...run(rules(line), ds()).d.forwards);
  const got = run(indexed).d.forwards;
  assert.deepEqual(got, expected);
  for (const prefix of ["P", "R", "D", "N"]) assert.ok(got.some((f) => f.startsWith(prefix)), `some ${prefix} rule matches`);
  assert.ok(got.length < 120, "some rules do not match");
});

test("a coercion by an earlier rule is seen by shared conditions, regex guards and private-creator guards", () => {
  const r = rules(`on store when StudyDescription matches /contrast/ and Modality == "CT" { forward to BEFORE }
on store when CallingAE == "CT1" { set (0009,"NEW",10) = "x" }
on store when (0009,"NEW",10) exists { forward to CREATED }
on store when CallingAE == "CT1" { set StudyDescription = "protocol 9" }
on store when StudyDescription matches /contrast/ and Modality == "CT" { forward to STALE }
on store when StudyDescription matches /protocol 9/ { forward to AFTER }
on store when StudyDescription matches /protocol 1/ { forward to NEVER1 }
on store when StudyDescription matches /protocol 2/ { forward to NEVER2 }
on store when StudyDescription matches /protocol 3/ { forward to NEVER3 }
on store when StudyDescription matches /protocol 4/ { forward to NEVER4 }
on store when StudyDescription matches /protocol 5/ { forward to NEVER5 }`);
  assert.deepEqual(run(r).d.forwards, ["BEFORE", "CREATED", "AFTER"]);
  // From another AE nothing is coerced: the first shared result stands and the guards rule the rest out.
  assert.deepEqual(run(r, ds(), "MR1").d.forwards, ["BEFORE", "STALE"]);
});

test("map through a CSV lookup table: named columns, a default for misses, values kept without one", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "conduit-map-"));
  writeFileSync(join(dir, "codes.csv"), 'code,name,site\nPID-1,"Doe, Jane",north\nOLD HOSPITAL,General Hospital,x\n');
  const p = parseRules(`on store {\n  map PatientID through "codes.csv" from "code" to "site"\n  map InstitutionName through "codes.csv" from "name" to "site" default "unmapped"\n  map StudyDescription through "codes.csv"\n}`, join(dir, "m.rules"));
  assert.deepEqual(p.diagnostics, []);
  const { data } = run(new RuleSet([p.ast]));
  assert.equal(data.string("PatientID"), "north");
  assert.equal(data.string("InstitutionName"), "unmapped");
  assert.equal(data.string("StudyDescription"), "CT Chest with contrast", "no match and no default keeps the value");
});

import { UNCONTACTED_PEER_PORT } from "../support/dcmtk.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, parseConfig } from "../../src/config/load.js";
import { isConduitError } from "../../src/errors.js";

test("embedded defaults need no file", () => {
  const c = parseConfig({});
  assert.equal(c.aeTitle, "CONDUIT");
  assert.equal(c.port, 11112);
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.storage.root, "./data");
  assert.equal(c.storage.durability, "fsync");
  assert.equal(c.storage.duplicates, "keep-first");
  assert.equal(c.checkCalledAE, false);
});

test("unknown keys and bad values are all reported with their paths", () => {
  const { config, problems } = validateConfig({
    aeTitle: "THIS-TITLE-IS-TOO-LONG",
    limits: { maxAssociations: -1, nope: 1 },
    network: { transferSyntaxes: ["ExplicitVRLittleEndian", "1.2.3.4"] },
    peers: { "BAD\\AE": { host: "x", port: UNCONTACTED_PEER_PORT } },
  });
  assert.equal(config, undefined);
  const paths = problems.map((p) => p.path);
  assert.ok(paths.includes("aeTitle"), paths.join(","));
  assert.ok(paths.includes("limits.maxAssociations"));
  assert.ok(paths.includes("limits.nope"));
  assert.ok(problems.find((p) => p.path === "limits.nope")?.message === "unknown key");
  assert.ok(paths.some((p) => p.startsWith("peers")));
});

test("transfer syntaxes by keyword or UID; unknown ones are errors", () => {
  const ok = parseConfig({ network: { transferSyntaxes: ["JPEGLSLossless", "1.2.840.10008.1.2.1"] } });
  assert.deepEqual(ok.network.transferSyntaxes, ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.1"]);
  assert.throws(
    () => parseConfig({ network: { transferSyntaxes: ["NoSuchSyntax"] } }),
    (e: unknown) => isConduitError(e, "CONFIG_INVALID") && /network\.transferSyntaxes\[0\]/.test(e.message),
  );
});

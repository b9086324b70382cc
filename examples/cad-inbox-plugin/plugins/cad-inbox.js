// @ts-check
/// <reference path="../../../plugins/conduit-plugin.d.ts" />
// The CAD inbox of examples/cad-inbox, written as a plugin instead of rules: chest CT studies go to the CAD
// node once complete, and what the CAD node sends back goes on to the PACS.

// CAD results come back from the CAD node: keep a copy under results/, pass them to the PACS.
conduit.on("store", { callingAE: "CAD_LUNG", attributes: ["PatientID", "StudyInstanceUID", "Modality", "SOPInstanceUID"] }, (input) => {
  const a = input.attributes ?? {};
  return {
    // A list: each name is made safe (no "/", no "..") as a rule's {placeholder} value is.
    storeAt: ["results", String(a.PatientID ?? ""), String(a.StudyInstanceUID ?? ""), `${a.Modality}-${a.SOPInstanceUID}.dcm`],
    forward: "PACS",
    stop: true,
  };
});

const CHEST = /chest|thorax|lung/i;

// A chest CT study is complete when nothing new arrived for the quiet period (rules.studyStable, 30 s here):
// send the whole study to the CAD node and tell the local CAD queue where its folder is.
conduit.on("study-stable", { modality: "CT", attributes: ["StudyDescription", "BodyPartExamined", "StudyInstanceUID"] }, (input) => {
  const a = input.attributes ?? {};
  const chest = CHEST.test(String(a.StudyDescription ?? "")) || ["CHEST", "LUNG"].includes(String(a.BodyPartExamined ?? ""));
  if (!chest) return null;
  // Counted per plugin in the catalog, so the number survives restarts.
  const sent = Number(conduit.kv.get("studies-sent") ?? 0) + 1;
  conduit.kv.set("studies-sent", sent);
  return { forward: "CAD_LUNG", run: "cad-queue", log: `study ${a.StudyInstanceUID} of ${input.origin.callingAE} handed to CAD (${sent} so far)` };
});

// @ts-check
/// <reference path="../../../plugins/conduit-plugin.d.ts" />
// A Modality Worklist answered from a CSV file (worklist.csv, beside this plugin; edit it while Conduit runs:
// it is re-read when it changes). Matching follows PS3.4 C.2.2.2: an empty key matches everything, "*" and
// "?" are wildcards, dates may be ranges ("20240611-20240612", "20240611-", "-20240612").

// Every worklist query is answered by this plugin's backend (the file is worklist.js: its name is "worklist").
conduit.on("worklist", () => ({ answerFrom: { plugin: "worklist" } }));

/** @param {string} pattern */
function wildcard(pattern) {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}

/** @param {unknown} key @param {string} value */
function matches(key, value) {
  if (key === null || key === undefined || key === "") return true;
  const k = String(key);
  if (/^\d{0,8}-\d{0,8}$/.test(k) && k.length > 1) {
    const [from, to] = k.split("-");
    return (!from || value >= from) && (!to || value <= to);
  }
  return /[*?]/.test(k) ? wildcard(k).test(value) : k === value;
}

conduit.answer("worklist", (input) => {
  const q = input.query;
  const steps = Array.isArray(q.ScheduledProcedureStepSequence) ? q.ScheduledProcedureStepSequence : [];
  const step = /** @type {Conduit.AttributeSet} */ (steps[0] ?? {});
  return conduit
    .table("worklist.csv")
    .filter((r) =>
      matches(q.PatientID, r.PatientID) &&
      matches(q.PatientName, r.PatientName) &&
      matches(q.AccessionNumber, r.AccessionNumber) &&
      matches(step.Modality, r.Modality) &&
      matches(step.ScheduledStationAETitle, r.ScheduledStationAETitle) &&
      matches(step.ScheduledProcedureStepStartDate, r.ScheduledProcedureStepStartDate),
    )
    .map((r) => ({
      AccessionNumber: r.AccessionNumber,
      PatientID: r.PatientID,
      PatientName: r.PatientName,
      PatientBirthDate: r.PatientBirthDate,
      PatientSex: r.PatientSex,
      StudyInstanceUID: r.StudyInstanceUID,
      RequestedProcedureID: r.RequestedProcedureID,
      RequestedProcedureDescription: r.RequestedProcedureDescription,
      ScheduledProcedureStepSequence: [
        {
          Modality: r.Modality,
          ScheduledStationAETitle: r.ScheduledStationAETitle,
          ScheduledProcedureStepStartDate: r.ScheduledProcedureStepStartDate,
          ScheduledProcedureStepStartTime: r.ScheduledProcedureStepStartTime,
          ScheduledProcedureStepID: r.ScheduledProcedureStepID,
          ScheduledProcedureStepDescription: r.ScheduledProcedureStepDescription,
        },
      ],
    }));
});

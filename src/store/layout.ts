// Where a received object is stored: the default layout and the DcmStoreService-style presets.
import type { Config } from "../config/schema.js";
import type { DataSet } from "../dicom/dataset.js";
import { safeComponent } from "./sanitize.js";

/** Radiation dose SR SOP classes (PS3.4 Annex B), kept under their own root when configured. */
export const DOSE_REPORT_SOP_CLASSES = new Set([
  "1.2.840.10008.5.1.4.1.1.88.67", // X-Ray Radiation Dose SR
  "1.2.840.10008.5.1.4.1.1.88.68", // Radiopharmaceutical Radiation Dose SR
  "1.2.840.10008.5.1.4.1.1.88.73", // Patient Radiation Dose SR
  "1.2.840.10008.5.1.4.1.1.88.75", // Enhanced X-Ray Radiation Dose SR
]);

export interface Placement {
  /** Absolute root the path is relative to. */
  root: string;
  /** Relative path below root, "/"-separated, every component sanitized. */
  relative: string;
}

type Storage = Config["storage"];

function folders(storage: Storage, ds: DataSet): string[] {
  switch (storage.layout) {
    case "flat":
      return [];
    case "tree": {
      const t = storage.tree;
      const master = t.by === "PatientName" ? ds.string("PatientName") : ds.string("PatientID");
      const out = [safeComponent(master)];
      if (t.study) out.push(safeComponent(ds.string("StudyID") ?? ds.string("StudyInstanceUID")));
      if (t.series) out.push(safeComponent(ds.string("SeriesNumber") ?? ds.string("SeriesInstanceUID")));
      return out;
    }
    default:
      return [
        safeComponent(ds.string("PatientID")),
        safeComponent(ds.string("StudyInstanceUID")),
        safeComponent(ds.string("SeriesInstanceUID")),
      ];
  }
}

/** The configured placement of an object: root and relative path from the layout preset. */
export function placeByLayout(storage: Storage, root: string, doseRoot: string | null, ds: DataSet, sopClassUid: string, sopInstanceUid: string): Placement {
  const file = `${safeComponent(sopInstanceUid)}.dcm`;
  if (doseRoot && DOSE_REPORT_SOP_CLASSES.has(sopClassUid)) {
    const dirs = storage.dose.layout === "flat" ? [] : folders(storage, ds);
    return { root: doseRoot, relative: [...dirs, file].join("/") };
  }
  return { root, relative: [...folders(storage, ds), file].join("/") };
}

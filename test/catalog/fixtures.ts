// Data sets and records for the catalog tests: realistic headers (about 60 top-level attributes).
import { DataSet } from "../../src/dicom/dataset.js";
import type { InstanceRecord } from "../../src/catalog/catalog.js";

export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";

export interface Ids {
  patientId?: string | null;
  issuer?: string;
  patientName?: string;
  study?: string;
  series?: string;
  sop: string;
  studyDescription?: string | null;
  modality?: string;
}

type Dict = Record<string, { vr: string; Value?: unknown[] }>;

const str = (vr: string, ...v: unknown[]) => ({ vr, Value: v });
const pn = (name: string) => ({ vr: "PN", Value: [{ Alphabetic: name }] });

/** A CT-like header with the level keys, common image attributes, a sequence and private text tags. */
export function dataSet(ids: Ids): DataSet {
  const d: Dict = {
    "00080005": str("CS", "ISO_IR 192"),
    "00080008": str("CS", "ORIGINAL", "PRIMARY", "AXIAL"),
    "00080012": str("DA", "20240105"),
    "00080013": str("TM", "101500"),
    "00080016": str("UI", CT_IMAGE_STORAGE),
    "00080018": str("UI", ids.sop),
    "00080020": str("DA", "20240105"),
    "00080021": str("DA", "20240105"),
    "00080023": str("DA", "20240105"),
    "00080030": str("TM", "101010"),
    "00080031": str("TM", "101200"),
    "00080033": str("TM", "101500.123"),
    "00080050": str("SH", "ACC-001"),
    "00080060": str("CS", ids.modality ?? "CT"),
    "00080070": str("LO", "ACME"),
    "00080080": str("LO", "General Hospital"),
    "00080090": pn("WELBY^MARCUS"),
    "00081010": str("SH", "CT01"),
    "00081030": str("LO", "CT HEAD"),
    "0008103E": str("LO", "AXIAL 5mm"),
    "00081090": str("LO", "Scanner 9000"),
    "00081140": {
      vr: "SQ",
      Value: [{ "00081150": str("UI", "1.2.840.10008.5.1.4.1.1.2"), "00081155": str("UI", "1.2.3.4.5.6.7") }],
    },
    "00100010": pn(ids.patientName ?? "DOE^JOHN"),
    "00100030": str("DA", "19700101"),
    "00100040": str("CS", "M"),
    "00101010": str("AS", "054Y"),
    "00101020": str("DS", 1.8),
    "00101030": str("DS", 80),
    "00180015": str("CS", "HEAD"),
    "00180050": str("DS", 5),
    "00180060": str("DS", 120),
    "00181151": str("IS", 300),
    "00185100": str("CS", "HFS"),
    "0020000D": str("UI", ids.study ?? "1.2.3.1"),
    "0020000E": str("UI", ids.series ?? "1.2.3.1.1"),
    "00200010": str("SH", "S1"),
    "00200011": str("IS", 2),
    "00200013": str("IS", 7),
    "00200032": str("DS", -125, -125, 30),
    "00200037": str("DS", 1, 0, 0, 0, 1, 0),
    "00200052": str("UI", "1.2.3.99"),
    "00201041": str("DS", 30),
    "00280002": str("US", 1),
    "00280004": str("CS", "MONOCHROME2"),
    "00280010": str("US", 512),
    "00280011": str("US", 512),
    "00280030": str("DS", 0.488, 0.488),
    "00280100": str("US", 16),
    "00280101": str("US", 12),
    "00280102": str("US", 11),
    "00280103": str("US", 0),
    "00281050": str("DS", 40),
    "00281051": str("DS", 80),
    "00281052": str("DS", -1024),
    "00281053": str("DS", 1),
    "00400244": str("DA", "20240105"),
    "00400245": str("TM", "100000"),
    "00090010": str("LO", "ACME PRIVATE"),
  };
  for (let i = 0; i < 4; i++) d[`0009${(0x1010 + i).toString(16).toUpperCase()}`] = str("LO", `private value ${i}`);
  if (ids.patientId !== null) d["00100020"] = str("LO", ids.patientId ?? "PID1");
  if (ids.issuer !== undefined) d["00100021"] = str("LO", ids.issuer);
  if (ids.studyDescription === null) delete d["00081030"];
  else if (ids.studyDescription !== undefined) d["00081030"] = str("LO", ids.studyDescription);
  return new DataSet(d as ConstructorParameters<typeof DataSet>[0]);
}

export function record(ids: Ids, size = 1000, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    sopInstanceUid: ids.sop,
    sopClassUid: CT_IMAGE_STORAGE,
    transferSyntaxUid: EXPLICIT_LE,
    path: `${ids.patientId === null ? "none" : ids.patientId ?? "PID1"}/${ids.study ?? "1.2.3.1"}/${ids.series ?? "1.2.3.1.1"}/${ids.sop}.dcm`,
    size,
    receivedAt: new Date().toISOString(),
    sourceAE: "MODALITY1",
    dataset: dataSet(ids),
    ...extra,
  };
}

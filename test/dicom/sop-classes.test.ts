import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import {
  APPLICATION_CONTEXT_NAME,
  COMPOSITE_INSTANCE_RETRIEVE_WITHOUT_BULK_DATA_GET,
  COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET,
  COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE,
  MODALITY_PERFORMED_PROCEDURE_STEP,
  MODALITY_WORKLIST_FIND,
  NON_STORAGE_SOP_CLASSES,
  PATIENT_ROOT_QR_FIND,
  PATIENT_ROOT_QR_GET,
  PATIENT_ROOT_QR_MOVE,
  PATIENT_STUDY_ONLY_QR_FIND,
  PATIENT_STUDY_ONLY_QR_GET,
  PATIENT_STUDY_ONLY_QR_MOVE,
  STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS,
  STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE,
  STORAGE_SOP_CLASSES,
  STUDY_ROOT_QR_FIND,
  STUDY_ROOT_QR_GET,
  STUDY_ROOT_QR_MOVE,
  VERIFICATION_SOP_CLASS,
  isStorageSopClass,
  sopClass,
  sopClassByKeyword,
  sopClassName,
} from "../../src/dicom/sop-classes.js";

const UID_FORM = /^1\.2\.840\.10008(\.(0|[1-9]\d*))+$/;
const ALL = [...STORAGE_SOP_CLASSES, ...NON_STORAGE_SOP_CLASSES];
const STORAGE_ROOT = "1.2.840.10008.5.1.4.1.1";

// Storage UIDs under 1.2.840.10008.5.1.4.1.1 that DCMTK 3.6.7's libdcmdata knows, minus the ones
// that are not PS3.4 B.5 storage classes (see NOT_B5 below); written as suffixes of STORAGE_ROOT.
const DCMTK_367_STORAGE = `
1 1.1 1.1.1 1.2 1.2.1 1.3 1.3.1 2 2.1 2.2 3 3.1 4 4.1 4.2 4.3 4.4 5 6 6.1 6.2 7 7.1 7.2 7.3 7.4 8 9
9.1 9.1.1 9.1.2 9.1.3 9.2.1 9.3.1 9.4.1 9.4.2 9.5.1 9.6.1 9.6.2 9.7.1 9.7.2 9.7.3 9.7.4 9.8.1 10 11
11.1 11.2 11.3 11.4 11.5 11.6 11.7 11.8 11.9 11.10 11.11 12.1 12.1.1 12.2 12.2.1 12.3 13.1.1 13.1.2
13.1.3 13.1.4 13.1.5 14.1 14.2 20 30 66 66.1 66.2 66.3 66.4 66.5 66.6 67 68.1 68.2 77.1 77.1.1
77.1.1.1 77.1.2 77.1.2.1 77.1.3 77.1.4 77.1.4.1 77.1.5.1 77.1.5.2 77.1.5.3 77.1.5.4 77.1.5.5
77.1.5.6 77.1.5.7 77.1.5.8 77.1.6 77.1.7 77.2 78.1 78.2 78.3 78.4 78.5 78.6 78.7 78.8 79.1 80.1 81.1
82.1 88.1 88.2 88.3 88.4 88.11 88.22 88.33 88.34 88.35 88.40 88.50 88.59 88.65 88.67 88.68 88.69
88.70 88.71 88.72 88.73 88.74 88.75 88.76 90.1 91.1 104.1 104.2 104.3 104.4 104.5 128 128.1 129 130
131 200.2 200.8 481.1 481.2 481.3 481.4 481.5 481.6 481.7 481.8 481.9 481.10 481.11 481.12 481.13
481.14 481.15 481.16 481.17 481.18 481.19 481.20 481.21 481.22`
  .trim()
  .split(/\s+/)
  .map((s) => `${STORAGE_ROOT}.${s}`);

// Things under the storage root that are not B.5 storage classes: defined procedure protocols and
// protocol approval (Annex GG non-patient objects, with their Q/R models), inventory (Annex GG and
// its services), DICOS (501.x) and DICONDE (601.x).
function notB5(uid: string): boolean {
  const rest = uid.slice(STORAGE_ROOT.length + 1);
  const first = rest.split(".")[0];
  if (first === "501" || first === "601" || first === "201") return true;
  return ["200.1", "200.3", "200.4", "200.5", "200.6", "200.7"].includes(rest);
}

const LIBDCMDATA = "/usr/lib/x86_64-linux-gnu/libdcmdata.so.17";

// Same as `strings libdcmdata | grep '^1\.2\.840\.10008\.5\.1\.4\.1\.1'`, done in-process: the UIDs
// are NUL-terminated C strings in .rodata.
function uidsFromLibrary(path: string): string[] {
  const text = readFileSync(path).toString("latin1");
  const found = new Set<string>();
  for (const m of text.matchAll(/(?<=\0)1\.2\.840\.10008\.5\.1\.4\.1\.1(?:\.\d+)+(?=\0)/g)) found.add(m[0]);
  return [...found];
}

test("well-known storage UIDs are exact", () => {
  const expect: Array<[string, string]> = [
    ["CTImageStorage", "1.2.840.10008.5.1.4.1.1.2"],
    ["MRImageStorage", "1.2.840.10008.5.1.4.1.1.4"],
    ["ComputedRadiographyImageStorage", "1.2.840.10008.5.1.4.1.1.1"],
    ["DigitalXRayImageStorageForPresentation", "1.2.840.10008.5.1.4.1.1.1.1"],
    ["DigitalMammographyXRayImageStorageForPresentation", "1.2.840.10008.5.1.4.1.1.1.2"],
    ["UltrasoundImageStorage", "1.2.840.10008.5.1.4.1.1.6.1"],
    ["UltrasoundMultiFrameImageStorage", "1.2.840.10008.5.1.4.1.1.3.1"],
    ["SecondaryCaptureImageStorage", "1.2.840.10008.5.1.4.1.1.7"],
    ["NuclearMedicineImageStorage", "1.2.840.10008.5.1.4.1.1.20"],
    ["PositronEmissionTomographyImageStorage", "1.2.840.10008.5.1.4.1.1.128"],
    ["XRayAngiographicImageStorage", "1.2.840.10008.5.1.4.1.1.12.1"],
    ["GrayscaleSoftcopyPresentationStateStorage", "1.2.840.10008.5.1.4.1.1.11.1"],
    ["BasicTextSRStorage", "1.2.840.10008.5.1.4.1.1.88.11"],
    ["EnhancedSRStorage", "1.2.840.10008.5.1.4.1.1.88.22"],
    ["ComprehensiveSRStorage", "1.2.840.10008.5.1.4.1.1.88.33"],
    ["KeyObjectSelectionDocumentStorage", "1.2.840.10008.5.1.4.1.1.88.59"],
    ["XRayRadiationDoseSRStorage", "1.2.840.10008.5.1.4.1.1.88.67"],
    ["EnhancedXRayRadiationDoseSRStorage", "1.2.840.10008.5.1.4.1.1.88.76"],
    ["WaveformAnnotationSRStorage", "1.2.840.10008.5.1.4.1.1.88.77"],
    ["TwelveLeadECGWaveformStorage", "1.2.840.10008.5.1.4.1.1.9.1.1"],
    ["WaveformPresentationStateStorage", "1.2.840.10008.5.1.4.1.1.9.100.1"],
    ["EncapsulatedPDFStorage", "1.2.840.10008.5.1.4.1.1.104.1"],
    ["SegmentationStorage", "1.2.840.10008.5.1.4.1.1.66.4"],
    ["LabelMapSegmentationStorage", "1.2.840.10008.5.1.4.1.1.66.7"],
    ["HeightMapSegmentationStorage", "1.2.840.10008.5.1.4.1.1.66.8"],
    ["VLWholeSlideMicroscopyImageStorage", "1.2.840.10008.5.1.4.1.1.77.1.6"],
    ["ConfocalMicroscopyTiledPyramidalImageStorage", "1.2.840.10008.5.1.4.1.1.77.1.9"],
    ["PhotoacousticImageStorage", "1.2.840.10008.5.1.4.1.1.6.3"],
    ["CTPerformedProcedureProtocolStorage", "1.2.840.10008.5.1.4.1.1.200.2"],
    ["RTImageStorage", "1.2.840.10008.5.1.4.1.1.481.1"],
    ["RTDoseStorage", "1.2.840.10008.5.1.4.1.1.481.2"],
    ["RTStructureSetStorage", "1.2.840.10008.5.1.4.1.1.481.3"],
    ["RTPlanStorage", "1.2.840.10008.5.1.4.1.1.481.5"],
    ["RTPatientPositionAcquisitionInstructionStorage", "1.2.840.10008.5.1.4.1.1.481.25"],
    ["RTBeamsDeliveryInstructionStorage", "1.2.840.10008.5.1.4.34.7"],
    ["RTBrachyApplicationSetupDeliveryInstructionStorage", "1.2.840.10008.5.1.4.34.10"],
  ];
  for (const [keyword, uid] of expect) {
    const entry = sopClassByKeyword(keyword);
    assert.ok(entry, keyword);
    assert.equal(entry.uid, uid, keyword);
    assert.equal(entry.retired, false, keyword);
    assert.ok(isStorageSopClass(uid), keyword);
  }
  assert.equal(sopClassName("1.2.840.10008.5.1.4.1.1.2"), "CT Image Storage");
});

test("retired storage classes are present and flagged", () => {
  const retired: Array<[string, string]> = [
    ["1.2.840.10008.5.1.4.1.1.5", "NuclearMedicineImageStorageRetired"],
    ["1.2.840.10008.5.1.4.1.1.6", "UltrasoundImageStorageRetired"],
    ["1.2.840.10008.5.1.4.1.1.3", "UltrasoundMultiFrameImageStorageRetired"],
    ["1.2.840.10008.5.1.4.1.1.12.3", "XRayAngiographicBiPlaneImageStorage"],
    ["1.2.840.10008.5.1.4.1.1.77.1", "VLImageStorageTrial"],
    ["1.2.840.10008.5.1.4.1.1.77.2", "VLMultiFrameImageStorageTrial"],
    ["1.2.840.10008.5.1.1.29", "HardcopyGrayscaleImageStorage"],
    ["1.2.840.10008.5.1.1.30", "HardcopyColorImageStorage"],
    ["1.2.840.10008.5.1.4.1.1.88.1", "TextSRStorageTrial"],
  ];
  for (const [uid, keyword] of retired) {
    const entry = sopClass(uid);
    assert.ok(entry, uid);
    assert.equal(entry.keyword, keyword);
    assert.equal(entry.retired, true, uid);
    assert.ok(isStorageSopClass(uid), uid);
  }
});

test("non-storage and non-B.5 classes are not storage", () => {
  const excluded = [
    "1.2.840.10008.1.3.10", // Media Storage Directory Storage
    "1.2.840.10008.5.1.4.38.1", // Hanging Protocol Storage
    "1.2.840.10008.5.1.4.39.1", // Color Palette Storage
    "1.2.840.10008.5.1.4.43.1", // Generic Implant Template Storage
    "1.2.840.10008.5.1.4.1.1.200.1", // CT Defined Procedure Protocol Storage
    "1.2.840.10008.5.1.4.1.1.200.3", // Protocol Approval Storage
    "1.2.840.10008.5.1.4.1.1.201.1", // Inventory Storage
    "1.2.840.10008.5.1.4.1.1.501.1", // DICOS CT Image Storage
    "1.2.840.10008.5.1.4.1.1.601.1", // DICONDE Eddy Current Image Storage
    ...NON_STORAGE_SOP_CLASSES.map((c) => c.uid),
  ];
  for (const uid of excluded) assert.equal(isStorageSopClass(uid), false, uid);
});

test("no duplicate UIDs or keywords; every UID is well formed", () => {
  assert.equal(new Set(ALL.map((c) => c.uid)).size, ALL.length);
  assert.equal(new Set(ALL.map((c) => c.keyword.toLowerCase())).size, ALL.length);
  for (const c of ALL) {
    assert.match(c.uid, UID_FORM, c.keyword);
    assert.ok(c.uid.length <= 64, c.uid);
    assert.match(c.keyword, /^[A-Za-z0-9]+$/, c.keyword);
    assert.ok(c.name.length > 0 && !c.name.includes("(Retired)"), c.name);
  }
  for (const c of STORAGE_SOP_CLASSES) {
    assert.match(c.keyword, /Storage(Trial|Retired|ForPresentation|ForProcessing)?$/, c.keyword);
  }
});

test("counts: 170 current plus 20 retired storage classes", () => {
  assert.equal(STORAGE_SOP_CLASSES.filter((c) => !c.retired).length, 170);
  assert.equal(STORAGE_SOP_CLASSES.filter((c) => c.retired).length, 20);
});

test("every storage class DCMTK knows is listed", () => {
  let known = DCMTK_367_STORAGE;
  if (existsSync(LIBDCMDATA)) {
    const fromLib = uidsFromLibrary(LIBDCMDATA).filter((u) => !notB5(u));
    assert.ok(fromLib.length >= 150, `only ${fromLib.length} UIDs read from ${LIBDCMDATA}`);
    known = [...new Set([...known, ...fromLib])];
  }
  const missing = known.filter((u) => !isStorageSopClass(u));
  assert.deepEqual(missing, []);
});

test("non-storage constants", () => {
  const expect: Array<[string, string, string]> = [
    [VERIFICATION_SOP_CLASS, "1.2.840.10008.1.1", "Verification"],
    [STORAGE_COMMITMENT_PUSH_MODEL_SOP_CLASS, "1.2.840.10008.1.20.1", "StorageCommitmentPushModel"],
    [STORAGE_COMMITMENT_PUSH_MODEL_SOP_INSTANCE, "1.2.840.10008.1.20.1.1", "StorageCommitmentPushModelInstance"],
    [PATIENT_ROOT_QR_FIND, "1.2.840.10008.5.1.4.1.2.1.1", "PatientRootQueryRetrieveInformationModelFind"],
    [PATIENT_ROOT_QR_MOVE, "1.2.840.10008.5.1.4.1.2.1.2", "PatientRootQueryRetrieveInformationModelMove"],
    [PATIENT_ROOT_QR_GET, "1.2.840.10008.5.1.4.1.2.1.3", "PatientRootQueryRetrieveInformationModelGet"],
    [STUDY_ROOT_QR_FIND, "1.2.840.10008.5.1.4.1.2.2.1", "StudyRootQueryRetrieveInformationModelFind"],
    [STUDY_ROOT_QR_MOVE, "1.2.840.10008.5.1.4.1.2.2.2", "StudyRootQueryRetrieveInformationModelMove"],
    [STUDY_ROOT_QR_GET, "1.2.840.10008.5.1.4.1.2.2.3", "StudyRootQueryRetrieveInformationModelGet"],
    [PATIENT_STUDY_ONLY_QR_FIND, "1.2.840.10008.5.1.4.1.2.3.1", "PatientStudyOnlyQueryRetrieveInformationModelFind"],
    [PATIENT_STUDY_ONLY_QR_MOVE, "1.2.840.10008.5.1.4.1.2.3.2", "PatientStudyOnlyQueryRetrieveInformationModelMove"],
    [PATIENT_STUDY_ONLY_QR_GET, "1.2.840.10008.5.1.4.1.2.3.3", "PatientStudyOnlyQueryRetrieveInformationModelGet"],
    [COMPOSITE_INSTANCE_ROOT_RETRIEVE_MOVE, "1.2.840.10008.5.1.4.1.2.4.2", "CompositeInstanceRootRetrieveMove"],
    [COMPOSITE_INSTANCE_ROOT_RETRIEVE_GET, "1.2.840.10008.5.1.4.1.2.4.3", "CompositeInstanceRootRetrieveGet"],
    [COMPOSITE_INSTANCE_RETRIEVE_WITHOUT_BULK_DATA_GET, "1.2.840.10008.5.1.4.1.2.5.3", "CompositeInstanceRetrieveWithoutBulkDataGet"],
    [MODALITY_WORKLIST_FIND, "1.2.840.10008.5.1.4.31", "ModalityWorklistInformationModelFind"],
    [MODALITY_PERFORMED_PROCEDURE_STEP, "1.2.840.10008.3.1.2.3.3", "ModalityPerformedProcedureStep"],
    [APPLICATION_CONTEXT_NAME, "1.2.840.10008.3.1.1.1", "DICOMApplicationContext"],
  ];
  assert.equal(NON_STORAGE_SOP_CLASSES.length, expect.length);
  for (const [constant, uid, keyword] of expect) {
    assert.equal(constant, uid);
    assert.equal(sopClass(uid)?.keyword, keyword);
  }
  assert.equal(sopClass(PATIENT_STUDY_ONLY_QR_FIND)?.retired, true);
  assert.equal(sopClass(STUDY_ROOT_QR_FIND)?.retired, false);
});

test("lookups: case-insensitive keywords, NUL-padded UIDs, unknown UIDs", () => {
  assert.equal(sopClassByKeyword("ctimagestorage")?.uid, "1.2.840.10008.5.1.4.1.1.2");
  assert.equal(sopClassByKeyword("VERIFICATION")?.uid, VERIFICATION_SOP_CLASS);
  assert.equal(sopClassByKeyword("NoSuchStorage"), undefined);
  assert.ok(isStorageSopClass("1.2.840.10008.5.1.4.1.1.7\0"));
  assert.equal(sopClass("1.2.840.10008.1.1\0")?.keyword, "Verification");
  assert.equal(sopClass("1.2.3.4"), undefined);
  assert.equal(sopClassName("1.2.3.4"), "1.2.3.4");
  assert.equal(sopClassName(STUDY_ROOT_QR_MOVE), "Study Root Query/Retrieve Information Model - MOVE");
  assert.ok(Object.isFrozen(STORAGE_SOP_CLASSES) && Object.isFrozen(STORAGE_SOP_CLASSES[0]));
});

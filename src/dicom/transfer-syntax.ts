// Transfer syntaxes of PS3.5 section 10 and PS3.6 Table A-1, with the encoding facts the engine needs.

export interface TransferSyntax {
  uid: string;
  keyword: string;
  /** Data set uses explicit VR encoding. */
  explicitVR: boolean;
  littleEndian: boolean;
  /** Pixel Data is encapsulated (PS3.5 A.4). */
  encapsulated: boolean;
  /** The whole data set is deflated (PS3.5 A.5). */
  deflated: boolean;
  lossy: boolean;
  retired: boolean;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";

type Flags = "plain" | "lossless" | "lossy" | "deflated" | "video" | "reference";

// [uid, keyword, kind, retired]
const TABLE: ReadonlyArray<readonly [string, string, Flags, boolean?]> = [
  ["1.2.840.10008.1.2", "ImplicitVRLittleEndian", "plain"],
  ["1.2.840.10008.1.2.1", "ExplicitVRLittleEndian", "plain"],
  ["1.2.840.10008.1.2.1.98", "EncapsulatedUncompressedExplicitVRLittleEndian", "lossless"],
  ["1.2.840.10008.1.2.1.99", "DeflatedExplicitVRLittleEndian", "deflated"],
  ["1.2.840.10008.1.2.2", "ExplicitVRBigEndian", "plain", true],
  ["1.2.840.10008.1.2.4.50", "JPEGBaseline8Bit", "lossy"],
  ["1.2.840.10008.1.2.4.51", "JPEGExtended12Bit", "lossy"],
  ["1.2.840.10008.1.2.4.52", "JPEGExtended35", "lossy", true],
  ["1.2.840.10008.1.2.4.53", "JPEGSpectralSelectionNonHierarchical68", "lossy", true],
  ["1.2.840.10008.1.2.4.54", "JPEGSpectralSelectionNonHierarchical79", "lossy", true],
  ["1.2.840.10008.1.2.4.55", "JPEGFullProgressionNonHierarchical1012", "lossy", true],
  ["1.2.840.10008.1.2.4.56", "JPEGFullProgressionNonHierarchical1113", "lossy", true],
  ["1.2.840.10008.1.2.4.57", "JPEGLossless", "lossless"],
  ["1.2.840.10008.1.2.4.58", "JPEGLosslessNonHierarchical15", "lossless", true],
  ["1.2.840.10008.1.2.4.59", "JPEGExtendedHierarchical1618", "lossy", true],
  ["1.2.840.10008.1.2.4.60", "JPEGExtendedHierarchical1719", "lossy", true],
  ["1.2.840.10008.1.2.4.61", "JPEGSpectralSelectionHierarchical2022", "lossy", true],
  ["1.2.840.10008.1.2.4.62", "JPEGSpectralSelectionHierarchical2123", "lossy", true],
  ["1.2.840.10008.1.2.4.63", "JPEGFullProgressionHierarchical2426", "lossy", true],
  ["1.2.840.10008.1.2.4.64", "JPEGFullProgressionHierarchical2527", "lossy", true],
  ["1.2.840.10008.1.2.4.65", "JPEGLosslessHierarchical28", "lossless", true],
  ["1.2.840.10008.1.2.4.66", "JPEGLosslessHierarchical29", "lossless", true],
  ["1.2.840.10008.1.2.4.70", "JPEGLosslessSV1", "lossless"],
  ["1.2.840.10008.1.2.4.80", "JPEGLSLossless", "lossless"],
  ["1.2.840.10008.1.2.4.81", "JPEGLSNearLossless", "lossy"],
  ["1.2.840.10008.1.2.4.90", "JPEG2000Lossless", "lossless"],
  ["1.2.840.10008.1.2.4.91", "JPEG2000", "lossy"],
  ["1.2.840.10008.1.2.4.92", "JPEG2000MCLossless", "lossless"],
  ["1.2.840.10008.1.2.4.93", "JPEG2000MC", "lossy"],
  ["1.2.840.10008.1.2.4.94", "JPIPReferenced", "reference"],
  ["1.2.840.10008.1.2.4.95", "JPIPReferencedDeflate", "reference"],
  ["1.2.840.10008.1.2.4.100", "MPEG2MPML", "video"],
  ["1.2.840.10008.1.2.4.100.1", "MPEG2MPMLF", "video"],
  ["1.2.840.10008.1.2.4.101", "MPEG2MPHL", "video"],
  ["1.2.840.10008.1.2.4.101.1", "MPEG2MPHLF", "video"],
  ["1.2.840.10008.1.2.4.102", "MPEG4HP41", "video"],
  ["1.2.840.10008.1.2.4.102.1", "MPEG4HP41F", "video"],
  ["1.2.840.10008.1.2.4.103", "MPEG4HP41BD", "video"],
  ["1.2.840.10008.1.2.4.103.1", "MPEG4HP41BDF", "video"],
  ["1.2.840.10008.1.2.4.104", "MPEG4HP422D", "video"],
  ["1.2.840.10008.1.2.4.104.1", "MPEG4HP422DF", "video"],
  ["1.2.840.10008.1.2.4.105", "MPEG4HP423D", "video"],
  ["1.2.840.10008.1.2.4.105.1", "MPEG4HP423DF", "video"],
  ["1.2.840.10008.1.2.4.106", "MPEG4HP42STEREO", "video"],
  ["1.2.840.10008.1.2.4.106.1", "MPEG4HP42STEREOF", "video"],
  ["1.2.840.10008.1.2.4.107", "HEVCMP51", "video"],
  ["1.2.840.10008.1.2.4.108", "HEVCM10P51", "video"],
  ["1.2.840.10008.1.2.4.110", "JPEGXLLossless", "lossless"],
  ["1.2.840.10008.1.2.4.111", "JPEGXLJPEGRecompression", "lossless"],
  ["1.2.840.10008.1.2.4.112", "JPEGXL", "lossy"],
  ["1.2.840.10008.1.2.4.201", "HTJ2KLossless", "lossless"],
  ["1.2.840.10008.1.2.4.202", "HTJ2KLosslessRPCL", "lossless"],
  ["1.2.840.10008.1.2.4.203", "HTJ2K", "lossy"],
  ["1.2.840.10008.1.2.4.204", "JPIPHTJ2KReferenced", "reference"],
  ["1.2.840.10008.1.2.4.205", "JPIPHTJ2KReferencedDeflate", "reference"],
  ["1.2.840.10008.1.2.5", "RLELossless", "lossless"],
  ["1.2.840.10008.1.2.6.1", "RFC2557MIMEEncapsulation", "reference", true],
  ["1.2.840.10008.1.2.6.2", "XMLEncoding", "reference", true],
  ["1.2.840.10008.1.2.7.1", "SMPTEST211020UncompressedProgressiveActiveVideo", "video"],
  ["1.2.840.10008.1.2.7.2", "SMPTEST211020UncompressedInterlacedActiveVideo", "video"],
  ["1.2.840.10008.1.2.7.3", "SMPTEST211030PCMDigitalAudio", "video"],
  ["1.2.840.10008.1.2.8.1", "DeflatedImageFrameCompression", "lossless"],
];

const BY_UID = new Map<string, TransferSyntax>();
const BY_KEYWORD = new Map<string, TransferSyntax>();
for (const [uid, keyword, kind, retired] of TABLE) {
  const plain = kind === "plain";
  const ts: TransferSyntax = {
    uid,
    keyword,
    explicitVR: uid !== IMPLICIT_VR_LITTLE_ENDIAN,
    littleEndian: uid !== EXPLICIT_VR_BIG_ENDIAN,
    encapsulated: !plain && kind !== "deflated",
    deflated: kind === "deflated" || uid === "1.2.840.10008.1.2.4.95" || uid === "1.2.840.10008.1.2.4.205",
    lossy: kind === "lossy",
    retired: retired ?? false,
  };
  BY_UID.set(uid, ts);
  BY_KEYWORD.set(keyword.toLowerCase(), ts);
}

export function transferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

export function transferSyntaxByKeyword(keyword: string): TransferSyntax | undefined {
  return BY_KEYWORD.get(keyword.toLowerCase());
}

export function allTransferSyntaxes(): TransferSyntax[] {
  return [...BY_UID.values()];
}

/** Unknown UIDs (private syntaxes) are treated as explicit VR little endian with encapsulated pixel data (PS3.5 10.1). */
export function encodingOf(uid: string): TransferSyntax {
  return (
    BY_UID.get(uid) ?? {
      uid,
      keyword: uid,
      explicitVR: true,
      littleEndian: true,
      encapsulated: true,
      deflated: false,
      lossy: false,
      retired: false,
    }
  );
}

export function isUncompressed(uid: string): boolean {
  return uid === IMPLICIT_VR_LITTLE_ENDIAN || uid === EXPLICIT_VR_LITTLE_ENDIAN || uid === EXPLICIT_VR_BIG_ENDIAN;
}

/**
 * Default acceptance preference: keep what the sender has, losslessly compressed first, then the plain
 * syntaxes (explicit before implicit), then lossy and video syntaxes kept as sent.
 */
export function defaultTransferSyntaxPreference(): string[] {
  const all = allTransferSyntaxes();
  const lossless = all.filter((t) => t.encapsulated && !t.lossy && t.uid !== "1.2.840.10008.1.2.1.98");
  const deflated = all.filter((t) => t.deflated && !t.encapsulated);
  const plain = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN];
  const rest = all.filter((t) => !plain.includes(t.uid) && !lossless.includes(t) && !deflated.includes(t));
  return [...lossless.map((t) => t.uid), ...deflated.map((t) => t.uid), ...plain, ...rest.map((t) => t.uid)];
}

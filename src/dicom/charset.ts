// Specific Character Set (0008,0005) to text decoders (PS3.3 C.12.1.1.2, PS3.5 section 6.1).

// Keys are defined terms with "_", "-" and spaces folded to one space ("ISO_IR 100" -> "ISO IR 100").
const DEFINED_TERMS: Record<string, string> = {
  "": "latin1",
  "ISO IR 6": "latin1",
  "ISO 2022 IR 6": "latin1",
  "ISO IR 100": "latin1",
  "ISO 2022 IR 100": "latin1",
  "ISO IR 101": "iso-8859-2",
  "ISO 2022 IR 101": "iso-8859-2",
  "ISO IR 109": "iso-8859-3",
  "ISO 2022 IR 109": "iso-8859-3",
  "ISO IR 110": "iso-8859-4",
  "ISO 2022 IR 110": "iso-8859-4",
  "ISO IR 144": "iso-8859-5",
  "ISO 2022 IR 144": "iso-8859-5",
  "ISO IR 127": "iso-8859-6",
  "ISO 2022 IR 127": "iso-8859-6",
  "ISO IR 126": "iso-8859-7",
  "ISO 2022 IR 126": "iso-8859-7",
  "ISO IR 138": "iso-8859-8",
  "ISO 2022 IR 138": "iso-8859-8",
  "ISO IR 148": "iso-8859-9",
  "ISO 2022 IR 148": "iso-8859-9",
  "ISO IR 203": "iso-8859-15",
  "ISO 2022 IR 203": "iso-8859-15",
  "ISO IR 13": "shift_jis",
  "ISO 2022 IR 13": "shift_jis",
  "ISO IR 166": "windows-874",
  "ISO 2022 IR 166": "windows-874",
  "ISO 2022 IR 87": "iso-2022-jp",
  "ISO 2022 IR 159": "iso-2022-jp",
  "ISO 2022 IR 149": "euc-kr",
  "ISO 2022 IR 58": "gb18030",
  "ISO IR 192": "utf-8",
  GB18030: "gb18030",
  GBK: "gbk",
};

function fold(term: string): string {
  return term.trim().toUpperCase().replace(/[-_ ]+/g, " ");
}

const cache = new Map<string, InstanceType<typeof TextDecoder>>();

function decoderFor(label: string): InstanceType<typeof TextDecoder> {
  let d = cache.get(label);
  if (!d) {
    d = new TextDecoder(label, { fatal: false });
    cache.set(label, d);
  }
  return d;
}

/** A text decoder for a Specific Character Set value; the first non-default term decides (single-byte sets). */
export function charsetDecoder(specificCharacterSet: readonly string[] | undefined): (bytes: Uint8Array) => string {
  const terms = (specificCharacterSet ?? []).map(fold);
  const pick = terms.find((t) => t !== "" && t !== "ISO IR 6" && t !== "ISO 2022 IR 6") ?? "";
  const label = DEFINED_TERMS[pick] ?? "latin1";
  if (label === "latin1") return latin1;
  const d = decoderFor(label);
  return (bytes) => d.decode(bytes);
}

/** ISO 8859-1 exactly (TextDecoder's "latin1" is windows-1252). */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Encoder for writing text back in a data set's character set (UTF-8 and ISO 8859-1 natively). */
export function charsetEncoder(specificCharacterSet: readonly string[] | undefined): (text: string) => Buffer {
  const first = (specificCharacterSet ?? []).map(fold).find((t) => t !== "") ?? "";
  if (first === "ISO IR 192") return (t) => Buffer.from(t, "utf8");
  return (t) => Buffer.from(t, "latin1");
}

// Values from a data set become path components only through here: no "..", separators, control characters,
// reserved device names or unbounded lengths (data sets are untrusted input).
import { createHash } from "node:crypto";

const MAX_COMPONENT_BYTES = 96;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

export interface SanitizeOptions {
  /** Keep only [A-Za-z0-9._-^] (others become "_"); default keeps printable Unicode. */
  asciiOnly?: boolean;
  /** Replacement for an empty value. */
  empty?: string;
  maxBytes?: number;
}

/** Recent results with the default options: objects of one series repeat the same patient, study and series. */
const recent = new Map<string, string>();
const RECENT_LIMIT = 512;

/** Turns one untrusted value into one safe file or folder name. */
export function safeComponent(value: string | undefined, options?: SanitizeOptions): string {
  if (options !== undefined || value === undefined || value.length > 256) return sanitize(value, options ?? {});
  let out = recent.get(value);
  if (out === undefined) {
    out = sanitize(value, {});
    if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!);
    recent.set(value, out);
  }
  return out;
}

function sanitize(value: string | undefined, options: SanitizeOptions): string {
  let s = (value ?? "").normalize("NFC");
  // Separators, NUL and other control characters, and characters Windows forbids in names.
  s = s.replace(/[\u0000-\u001f\u007f-\u009f/\\<>:"|?*]/g, "_");
  if (options.asciiOnly) s = s.replace(/[^A-Za-z0-9._\-^]/g, "_");
  s = s.trim().replace(/[. ]+$/, "");
  if (s === "" || /^\.+$/.test(s)) s = options.empty ?? "UNKNOWN";
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  if (s.startsWith(".")) s = `_${s.slice(1)}`;
  return truncateBytes(s, options.maxBytes ?? MAX_COMPONENT_BYTES);
}

/** Cuts to a byte budget on a character boundary; a cut value gets a short hash so distinct values stay distinct. */
function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s, "utf8") <= max) return s;
  const hash = createHash("sha1").update(s).digest("hex").slice(0, 8);
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > max - 9) break;
    out += ch;
    bytes += n;
  }
  return `${out}~${hash}`;
}

/** Joins sanitized components with "/"; every component is re-checked so a template cannot climb out. */
export function safeRelativePath(components: readonly string[]): string {
  return components.map((c) => safeComponent(c)).join("/");
}

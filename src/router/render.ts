// Renders templates: "{Attribute|filter:arg}" placeholders with the value formatting rules offer.
import { createHash } from "node:crypto";
import { valueToString } from "../dicom/dataset.js";
import type { Template, TemplateFilter } from "../rules/ast.js";
import { safeComponent } from "../store/sanitize.js";
import { resolveValues } from "./attribute-path.js";
import { fieldValue, type EventContext } from "./event-context.js";

/** DA "YYYYMMDD", TM "HHMMSS.frac", DT "YYYYMMDDHHMMSS" into their parts (PS3.5 6.2). */
function dateParts(v: string): Record<string, string> {
  const digits = v.replace(/[^0-9]/g, "");
  const isTime = /^\d{2}(\d{2}(\d{2})?)?(\.\d+)?$/.test(v) && v.length <= 13 && !/^\d{8}/.test(v);
  if (isTime) return { hh: digits.slice(0, 2), mm: digits.slice(2, 4) || "00", ss: digits.slice(4, 6) || "00" };
  return {
    YYYY: digits.slice(0, 4),
    YY: digits.slice(2, 4),
    MM: digits.slice(4, 6),
    DD: digits.slice(6, 8),
    hh: digits.slice(8, 10) || "00",
    mm: digits.slice(10, 12) || "00",
    ss: digits.slice(12, 14) || "00",
  };
}

export function applyFilter(value: string, f: TemplateFilter): string {
  const arg = f.args[0] ?? "";
  switch (f.name) {
    case "upper":
      return value.toUpperCase();
    case "lower":
      return value.toLowerCase();
    case "trim":
      return value.trim();
    case "pad": {
      const n = Number(arg);
      const m = /^(-?)(\d+)(.*)$/.exec(value.trim());
      return m ? `${m[1]}${m[2]!.padStart(n, "0")}${m[3]}` : value;
    }
    case "date": {
      if (!value) return value;
      const p = dateParts(value);
      return arg.replace(/YYYY|YY|MM|DD|hh|mm|ss/g, (t) => p[t] ?? t);
    }
    case "hash":
      return createHash("sha1").update(value).digest("hex").slice(0, Number(arg) || 8);
    case "safe":
      return value.replace(/[^A-Za-z0-9._-]/g, "_");
    case "default":
      return value === "" ? f.args.join(":") : value;
    case "truncate":
      return value.slice(0, Number(arg));
    case "replace-spaces":
      return value.replace(/ /g, arg);
    default:
      return value;
  }
}

/** Text of a placeholder: every value, backslash-joined as DICOM writes multiple values; names alphabetic. */
function refText(ctx: EventContext, part: Extract<Template["parts"][number], { kind: "ref" }>): string {
  if (part.ref.kind === "field") return fieldValue(ctx, part.ref.name);
  if (!ctx.dataset) return "";
  return resolveValues(ctx.dataset, part.ref.path).map(valueToString).join("\\");
}

export function renderTemplate(t: Template, ctx: EventContext): string {
  let out = "";
  for (const part of t.parts) {
    if (part.kind === "text") out += part.text;
    else out += part.filters.reduce(applyFilter, refText(ctx, part));
  }
  return out;
}

/**
 * A storage path from a template: each placeholder's value is made safe as one path component (no separators
 * or ".." from data), literal "/" in the template make folders, and every component is checked again.
 */
export function renderPath(t: Template, ctx: EventContext): string {
  let out = "";
  for (const part of t.parts) {
    if (part.kind === "text") out += part.text;
    else {
      const v = part.filters.reduce(applyFilter, refText(ctx, part));
      out += safeComponent(v, { empty: "UNKNOWN" }).replace(/\//g, "_");
    }
  }
  return out
    .split("/")
    .filter((c) => c !== "" && c !== ".")
    .map((c) => safeComponent(c))
    .join("/");
}

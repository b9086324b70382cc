// Lookup tables for "map X through "table.csv"": RFC 4180 CSV, first row names the columns.
import { readFileSync } from "node:fs";

export interface LookupTable {
  file: string;
  columns: string[];
  /** value of `from` column -> value of `to` column */
  map(from?: string, to?: string): ReadonlyMap<string, string>;
}

/** Splits CSV text into rows of fields (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      field = "";
      if (row.some((f) => f !== "")) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== "")) rows.push(row);
  return rows;
}

export function loadLookupTable(file: string): LookupTable {
  const text = readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error(`${file}: empty table (expected a header row naming the columns)`);
  const columns = header.map((h) => h.trim());
  const cache = new Map<string, Map<string, string>>();
  return {
    file,
    columns,
    map(from, to) {
      const fi = from === undefined ? 0 : columns.indexOf(from);
      const ti = to === undefined ? 1 : columns.indexOf(to);
      if (fi < 0) throw new Error(`${file}: no column "${from}" (columns: ${columns.join(", ")})`);
      if (ti < 0 || ti >= columns.length) throw new Error(`${file}: no column "${to ?? "#2"}" (columns: ${columns.join(", ")})`);
      const key = `${fi}:${ti}`;
      let m = cache.get(key);
      if (!m) {
        m = new Map();
        for (const r of rows) if (r[fi] !== undefined) m.set(r[fi]!.trim(), (r[ti] ?? "").trim());
        cache.set(key, m);
      }
      return m;
    },
  };
}

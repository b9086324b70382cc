// Semantic checks of a parsed rule file against the configuration: which actions each event allows, names that
// must exist (peers, commands, lookup tables), statuses, reasons, regexes and VRs. Errors are data.
import { isAbsolute, resolve } from "node:path";
import { sopClassByKeyword } from "../dicom/sop-classes.js";
import { transferSyntaxByKeyword } from "../dicom/transfer-syntax.js";
import { compileRegex } from "../router/regex.js";
import type { Action, Condition, Diagnostic, EventName, Operand, Rule, RuleFile, Span, Template, ValueExpr } from "./ast.js";
import { EVENT_SPECS, REJECT_REASONS } from "./events.js";

export interface CheckContext {
  /** AE titles of config.peers (forward, destination, answer/retrieve from). */
  peers: ReadonlySet<string>;
  /** Names of config.commands (run). */
  commands: ReadonlySet<string>;
  /** Folder lookup tables are relative to (the rule file's folder). */
  baseDir: string;
  tableExists?: (absPath: string) => boolean;
}

const VRS = new Set("AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split(" "));

function list(names: Iterable<string>): string {
  const all = [...names];
  return all.length ? all.join(", ") : "(none configured)";
}

class Checker {
  readonly out: Diagnostic[] = [];
  constructor(
    private readonly file: string,
    private readonly ctx: CheckContext,
  ) {}

  private report(severity: "error" | "warning", at: Span, code: string, message: string, hint?: string): void {
    this.out.push({ file: this.file, line: at.start.line, column: at.start.column, endLine: at.end.line, endColumn: at.end.column, severity, code, message, hint });
  }

  rule(r: Rule): void {
    const spec = EVENT_SPECS[r.event];
    if (r.afterMs !== undefined && r.event !== "study-stable") this.report("error", r.span, "RULES_SYNTAX", `"after" belongs to study-stable rules, not "on ${r.event}"`);
    if (r.afterMs !== undefined && r.afterMs < 1000) this.report("error", r.span, "RULES_BAD_VALUE", `study-stable quiet period must be at least 1s`);
    if (r.condition) this.condition(r.condition, r.event);
    for (const a of r.actions) {
      if (!spec.actions.includes(a.kind)) {
        this.report("error", a.span, "RULES_ACTION_NOT_ALLOWED", `"${actionName(a)}" is not an action of "on ${r.event}"`, `on ${r.event} rules can: ${spec.actions.map(kindName).join(", ")}`);
        continue;
      }
      this.action(a, r.event);
    }
  }

  private condition(c: Condition, event: EventName): void {
    switch (c.kind) {
      case "and":
      case "or":
        for (const i of c.items) this.condition(i, event);
        return;
      case "not":
        return this.condition(c.item, event);
      case "local":
        if (!EVENT_SPECS[event].local) this.report("error", c.span, "RULES_BAD_CONDITION", `"local" is only known in move and get rules`);
        return;
      case "compare":
        this.operand(c.left, event);
        this.operand(c.right, event);
        return;
      case "in":
        this.operand(c.operand, event);
        for (const v of c.values) this.operand(v, event);
        return;
      case "matches":
        this.operand(c.operand, event);
        this.regex(c.regex.source, c.regex.flags, c.regex.span);
        return;
      case "exists":
      case "empty":
        return this.operand(c.operand, event);
      case "between":
        this.operand(c.operand, event);
        this.operand(c.low, event);
        this.operand(c.high, event);
        return;
    }
  }

  private operand(o: Operand, event: EventName): void {
    if (o.kind === "attribute" && EVENT_SPECS[event].dataset === "none") {
      this.report("error", o.span, "RULES_NO_DATASET", `"on ${event}" has no data set to read ${o.path.text} from`, "conditions here can test CallingAE, CalledAE, PeerAddress and AssociationId");
    }
  }

  private template(t: Template, event: EventName): void {
    if (EVENT_SPECS[event].dataset !== "none") return;
    for (const p of t.parts) {
      if (p.kind === "ref" && p.ref.kind === "attribute") {
        this.report("error", t.span, "RULES_NO_DATASET", `"on ${event}" has no data set to read {${p.ref.path.text}} from`, "templates here can use {CallingAE}, {CalledAE}, {PeerAddress} and {AssociationId}");
      }
    }
  }

  private regex(source: string, flags: string, at: Span): void {
    const bad = flags.replace(/[imsu]/g, "");
    if (bad) {
      this.report("error", at, "RULES_BAD_REGEX", `regex flag(s) "${bad}" are not supported`, "flags: i (ignore case), m, s, u");
      return;
    }
    try {
      compileRegex(source, flags);
    } catch (err) {
      this.report("error", at, "RULES_BAD_REGEX", `invalid regex /${source}/: ${(err as Error).message}`);
    }
  }

  private peer(ae: string, at: Span, what: string): void {
    if (!this.ctx.peers.has(ae)) this.report("error", at, "RULES_UNKNOWN_PEER", `${what} "${ae}" is not in the config's peers`, `add it under "peers" with host and port; configured: ${list(this.ctx.peers)}`);
  }

  private value(v: ValueExpr, event: EventName): void {
    if (v.kind === "template") this.template(v.template, event);
  }

  private action(a: Action, event: EventName): void {
    switch (a.kind) {
      case "reject":
        if (event === "associate") {
          if (a.status !== undefined) this.report("error", a.span, "RULES_BAD_VALUE", "an association is rejected with a PS3.8 reason, not a DIMSE status", `reasons: ${Object.keys(REJECT_REASONS).join(", ")}`);
          if (a.message !== undefined && !REJECT_REASONS[a.message]) this.report("error", a.span, "RULES_BAD_VALUE", `unknown rejection reason "${a.message}"`, `reasons (PS3.8 9.3.4): ${Object.keys(REJECT_REASONS).join(", ")}`);
          if (a.message !== undefined && REJECT_REASONS[a.message]) a.reason = a.message;
        } else {
          if (a.transient !== undefined) this.report("error", a.span, "RULES_BAD_VALUE", `transient/permanent only apply to rejected associations`);
          const s = a.status;
          if (s !== undefined && !(s === 0xfe00 || (s >= 0x0100 && s <= 0x02ff) || (s >= 0xa000 && s <= 0xafff) || (s >= 0xc000 && s <= 0xcfff))) {
            this.report("error", a.span, "RULES_BAD_VALUE", `0x${s.toString(16).toUpperCase().padStart(4, "0")} is not a failure status`, "use a refused (0xA7xx, 0x01xx/0x02xx), error (0xA9xx, 0xCxxx) or cancel (0xFE00) status (PS3.7 C.4)");
          }
        }
        return;
      case "restrict":
        for (const v of a.values) {
          const known = a.what === "sop-classes" ? sopClassByKeyword(v) : transferSyntaxByKeyword(v);
          if (!known && !/^[0-9]+(\.[0-9]+)+$/.test(v)) {
            this.report("error", a.span, "RULES_BAD_VALUE", `"${v}" is neither a known ${a.what === "sop-classes" ? "SOP class" : "transfer syntax"} keyword nor a UID`, a.what === "sop-classes" ? 'for example "CTImageStorage" or "1.2.840.10008.5.1.4.1.1.2"' : 'for example "ExplicitVRLittleEndian" or "1.2.840.10008.1.2.1"');
          }
        }
        return;
      case "set":
        if (a.vr !== undefined && !VRS.has(a.vr)) this.report("error", a.span, "RULES_BAD_VALUE", `"${a.vr}" is not a VR`, "VRs are two capitals as in PS3.5 6.2: LO, SH, PN, DA, ...");
        if (a.vr === "SQ") this.report("error", a.span, "RULES_BAD_VALUE", "a sequence cannot be set from a value; set the attributes inside it (Seq[0].Keyword)");
        this.value(a.value, event);
        return;
      case "replace":
        this.regex(a.regex.source, a.regex.flags, a.regex.span);
        return;
      case "map": {
        const abs = isAbsolute(a.table) ? a.table : resolve(this.ctx.baseDir, a.table);
        if (this.ctx.tableExists && !this.ctx.tableExists(abs)) this.report("error", a.span, "RULES_MISSING_TABLE", `lookup table "${a.table}" not found (looked at ${abs})`, "tables are CSV files, relative to the rule file's folder");
        if (a.fallback) this.value(a.fallback, event);
        return;
      }
      case "store-at": {
        const lit = a.template.parts.filter((p) => p.kind === "text").map((p) => (p as { text: string }).text).join("");
        if (a.template.source.startsWith("/") || /(^|\/)\.\.(\/|$)/.test(lit) || a.template.source.includes("\\")) {
          this.report("error", a.span, "RULES_BAD_VALUE", `store path "${a.template.source}" must stay inside the storage root`, 'a relative path with "/" between folders; no "..", no leading "/", no backslash');
        }
        if (a.template.source.trim() === "" || a.template.source.endsWith("/")) this.report("error", a.span, "RULES_BAD_VALUE", "store path must name a file", 'for example "{PatientID}/{SOPInstanceUID}.dcm"');
        return;
      }
      case "forward":
        for (const d of a.destinations) this.peer(d, a.span, "forward destination");
        return;
      case "destination":
        return this.peer(a.ae, a.span, "move destination");
      case "answer-from":
      case "retrieve-from":
        if (a.source.kind === "ae") this.peer(a.source.ae, a.span, "source");
        return;
      case "run":
        if (!this.ctx.commands.has(a.command)) this.report("error", a.span, "RULES_UNKNOWN_COMMAND", `command "${a.command}" is not declared in the config`, `declare it under "commands" with its argv; declared: ${list(this.ctx.commands)}`);
        return;
      case "log":
        return this.template(a.message, event);
      default:
        return;
    }
  }
}

function kindName(k: Action["kind"]): string {
  const names: Partial<Record<Action["kind"], string>> = { restrict: "accept only", "new-uids": "new uids", "store-at": "store at", forward: "forward to", "answer-from": "answer from", "retrieve-from": "retrieve from" };
  return names[k] ?? k;
}

function actionName(a: Action): string {
  return kindName(a.kind);
}

/** Every semantic problem of a parsed file (parse diagnostics come from parseRules). */
export function checkRules(ast: RuleFile, ctx: CheckContext): Diagnostic[] {
  const c = new Checker(ast.file, ctx);
  for (const r of ast.rules) c.rule(r);
  return c.out;
}

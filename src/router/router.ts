// The router: holds the current generation and carries out what rules decide beyond the event itself
// (forward jobs, commands, study-stable timers, consistent new UIDs).
import { dirname, sep } from "node:path";
import type { Logger } from "pino";
import type { Catalog } from "../catalog/catalog.js";
import type { DataSet } from "../dicom/dataset.js";
import { sopClassByKeyword } from "../dicom/sop-classes.js";
import { transferSyntaxByKeyword } from "../dicom/transfer-syntax.js";
import { errorMessage } from "../errors.js";
import type { StorageArea } from "../store/storage-area.js";
import { readStoredHeader } from "../store/stored-file.js";
import { CommandRunner } from "./commands.js";
import type { EventContext, EventOrigin } from "./event-context.js";
import type { Generation } from "./generation.js";
import { emptyDecision, type CompiledRule, type Decision, type RuleServices } from "./rule-set.js";
import type { EventName } from "../rules/ast.js";
import { DEFAULT_REJECT_STATUS } from "../rules/events.js";
import { StudyStableTracker } from "./study-stable.js";
import { UidMap } from "./uid-map.js";

export interface ForwardJob {
  destination: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** Absolute path of the file to send. */
  path: string;
  /** The file is a spool copy (not kept): delete it when its last job ends. */
  spooled: boolean;
  /** Which rule asked for it, "file:line". */
  origin: string;
}

/** Something besides rule files that decides events (the plugin host): same decisions, applied to the same Decision. */
export interface EventDecider {
  has(event: EventName): boolean;
  evaluate(event: EventName, ctx: EventContext, services: RuleServices, decision: Decision): { decision: Decision; failure?: DeciderFailure };
}

/** A decider that failed for this event (a plugin threw, timed out, ran out of memory, returned nonsense). */
export interface DeciderFailure {
  /** The event is answered as failed (false: it happened already, the failure is only logged). */
  respond: boolean;
  /** DIMSE status the event is answered with, where it has one (associate: rejected transient, no reason). */
  status?: number;
  message: string;
}

export interface ForwardQueue {
  enqueue(jobs: ForwardJob[]): void;
}

/** The study-stable timer of plugin handlers (rules have one per rule, keyed by file:line). */
const PLUGINS_KEY = "plugins";

export function ruleKey(r: CompiledRule): string {
  return `${r.file}:${r.rule.span.start.line}`;
}

export class Router {
  private current: Generation;
  readonly commands: CommandRunner;
  readonly studyStable: StudyStableTracker;
  private readonly uids: UidMap;
  queue?: ForwardQueue;
  /** Last header seen per pending study, so a study-stable rule can test the study's attributes. */
  private readonly studyHeaders = new Map<string, DataSet>();

  constructor(
    generation: Generation,
    private readonly catalog: Catalog,
    private readonly storage: StorageArea,
    private readonly log: Logger,
  ) {
    this.current = generation;
    this.commands = new CommandRunner(log);
    this.uids = new UidMap(catalog.db);
    this.studyStable = new StudyStableTracker(catalog.db, log, (study, key) => void this.fireStudyStable(study, key));
  }

  get generation(): Generation {
    return this.current;
  }

  /** The catalog database (plugins keep their key-value data in it). */
  get db(): Catalog["db"] {
    return this.catalog.db;
  }

  // Generations in use by associations: a replaced one is disposed (its plugin sandboxes freed) when the last
  // association that started under it ends.
  private readonly users = new Map<Generation, number>();
  private readonly retired = new Set<Generation>();

  /** The current generation, held until release(): what a new association runs with. */
  acquire(): Generation {
    const g = this.current;
    this.users.set(g, (this.users.get(g) ?? 0) + 1);
    return g;
  }

  release(g: Generation): void {
    const n = (this.users.get(g) ?? 1) - 1;
    if (n > 0) {
      this.users.set(g, n);
      return;
    }
    this.users.delete(g);
    if (this.retired.delete(g)) g.plugins?.dispose?.();
  }

  swap(next: Generation): void {
    const old = this.current;
    this.current = next;
    if (old === next) return;
    if (this.users.has(old)) this.retired.add(old);
    else old.plugins?.dispose?.();
  }

  readonly services: RuleServices = {
    mapUid: (uid) => this.uids.map(uid),
    resolveUid: (v) => sopClassByKeyword(v)?.uid ?? transferSyntaxByKeyword(v)?.uid ?? v,
  };

  /** Runs an event's deciders (rules, plugins) in the configured order; see decideEvent. */
  decide(gen: Generation, event: EventName, ctx: EventContext): Decision {
    return decideEvent(gen, event, ctx, this.services);
  }

  /** True when some decider acts on the event (callers skip building its context otherwise). */
  decides(gen: Generation, event: EventName): boolean {
    return gen.rules.has(event) || (gen.plugins?.has(event) ?? false);
  }

  /** Forward jobs for a decision's destinations (inserted in the caller's transaction). */
  forwardJobs(d: Decision, file: { path: string; sopInstanceUid: string; sopClassUid: string; transferSyntaxUid: string; spooled: boolean }): ForwardJob[] {
    const origin = d.matched.map((m) => `${m.file}:${m.line}`).join(",");
    return d.forwards.map((destination) => ({ destination, ...file, origin }));
  }

  enqueue(jobs: ForwardJob[]): void {
    if (jobs.length === 0) return;
    if (!this.queue) throw new Error("no forwarding queue");
    this.queue.enqueue(jobs);
  }

  /** After a stored object was answered: commands, log lines, and arming study-stable rules. */
  afterStored(gen: Generation, d: Decision, path: string, studyUid: string | undefined, ds: DataSet, origin: EventOrigin): void {
    for (const line of d.logs) this.log.info({ assoc: origin.associationId, rule: "log" }, line);
    for (const name of d.runs) {
      const cmd = gen.config.commands[name];
      if (cmd) this.commands.run(name, cmd, path, `store ${origin.callingAE}`);
      else this.log.error({ command: name }, "rule names a command missing from the config");
    }
    const rules = gen.rules.rules("study-stable");
    const plugins = gen.plugins?.has("study-stable") ?? false;
    if (studyUid && (rules.length > 0 || plugins)) {
      this.studyHeaders.set(studyUid, ds);
      const defaultMs = gen.config.rules.studyStable * 1000;
      const timers = rules.map((r) => ({ key: ruleKey(r), quietMs: r.rule.afterMs ?? defaultMs }));
      // Plugin study-stable handlers share one timer with the configured quiet period.
      if (plugins) timers.push({ key: PLUGINS_KEY, quietMs: defaultMs });
      this.studyStable.touch(studyUid, timers);
    }
  }

  private async fireStudyStable(studyUid: string, key: string): Promise<void> {
    const gen = this.current;
    const rule = gen.rules.rules("study-stable").find((r) => ruleKey(r) === key);
    const instances = this.studyInstances(studyUid);
    if ((!rule && !(key === PLUGINS_KEY && gen.plugins)) || instances.length === 0) return;
    let ds = this.studyHeaders.get(studyUid);
    if (!ds) {
      try {
        ds = (await readStoredHeader(this.storage.absolutePath(instances[instances.length - 1]!.path))).dataset;
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, "study-stable: cannot read a header of the study");
        return;
      }
    }
    if (!this.studyStable.pendingFor(studyUid)) this.studyHeaders.delete(studyUid);
    const origin: EventOrigin = { callingAE: "", calledAE: gen.config.aeTitle, address: "", associationId: "" };
    const ctx = { event: "study-stable" as const, origin, dataset: ds, now: new Date() };
    let d: Decision;
    if (rule) {
      if (rule.when && !rule.when(ctx)) return;
      d = { ...emptyDecision(), matched: [{ file: rule.file, line: rule.rule.span.start.line, event: "study-stable" }] };
      for (const step of rule.steps) if (step(ctx, d, this.services) === "stop") break;
    } else {
      d = gen.plugins!.evaluate("study-stable", ctx, this.services, emptyDecision()).decision;
      if (d.matched.length === 0) return;
    }
    const jobs = instances.flatMap((i) =>
      this.forwardJobs(d, { path: this.storage.absolutePath(i.path), sopInstanceUid: i.sopInstanceUid, sopClassUid: i.sopClassUid, transferSyntaxUid: i.transferSyntaxUid, spooled: false }),
    );
    if (jobs.length) this.catalog.db.transaction(() => this.enqueue(jobs))();
    for (const line of d.logs) this.log.info({ rule: key }, line);
    const folder = commonFolder(instances.map((i) => this.storage.absolutePath(i.path)));
    for (const name of d.runs) {
      const cmd = gen.config.commands[name];
      if (cmd) this.commands.run(name, cmd, folder, `study-stable ${key}`);
    }
    this.log.info({ rule: key, instances: instances.length, forwards: d.forwards, runs: d.runs }, "study stable");
  }

  private studyInstances(studyUid: string): Array<{ sopInstanceUid: string; sopClassUid: string; transferSyntaxUid: string; path: string }> {
    return this.catalog.db
      .prepare(
        `SELECT i.SOPInstanceUID AS sopInstanceUid, i.SOPClassUID AS sopClassUid, i.transfer_syntax_uid AS transferSyntaxUid, i.path AS path
           FROM instances i JOIN series se ON se.id = i.series_id JOIN studies st ON st.id = se.study_id
          WHERE st.StudyInstanceUID = ? ORDER BY i.id`,
      )
      .all(studyUid) as Array<{ sopInstanceUid: string; sopClassUid: string; transferSyntaxUid: string; path: string }>;
  }

  stop(): void {
    this.studyStable.stop();
    for (const g of this.retired) g.plugins?.dispose?.();
    this.retired.clear();
    this.current.plugins?.dispose?.();
  }
}

/**
 * Runs an event's deciders in the configured order (rules then plugins by default); a plugin failure that the
 * event must answer becomes a rejection with the failure's status (associate: transient, no reason given).
 */
export function decideEvent(gen: Generation, event: EventName, ctx: EventContext, services: RuleServices): Decision {
  const d = emptyDecision();
  const plugins = gen.plugins;
  const runRules = () => {
    if (!d.stopped && gen.rules.has(event)) gen.rules.evaluate(event, ctx, services, d);
  };
  const runPlugins = () => {
    if (d.stopped || !plugins?.has(event)) return;
    const { failure } = plugins.evaluate(event, ctx, services, d);
    if (failure?.respond) {
      d.reject = { status: failure.status ?? DEFAULT_REJECT_STATUS, transient: true, message: failure.message, source: 1, reason: 1 };
      d.stopped = true;
    }
  };
  if (gen.config.plugins.order === "plugins-first") {
    runPlugins();
    runRules();
  } else {
    runRules();
    runPlugins();
  }
  return d;
}

/** The deepest folder holding every file of a study: what a CAD command gets for "the study". */
export function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return "";
  let parts = dirname(paths[0]!).split(sep);
  for (const p of paths.slice(1)) {
    const q = dirname(p).split(sep);
    let i = 0;
    while (i < parts.length && i < q.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(sep) || sep;
}

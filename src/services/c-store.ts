// Storage Service Class SCP (PS3.4 Annex B). The data set streams to a temporary file; once its header is in,
// the store rules decide (refuse, coerce, place, forward, keep or not) before any of it is written; success is
// answered only after the file is durable and indexed with its forward jobs (DESIGN.md sections 2, 3, 7).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CommandField, NO_DATA_SET, type CommandSet } from "../dimse/command.js";
import type { DimseLink } from "../dimse/dimse-link.js";
import type { DataSink, IncomingMessage } from "../dimse/message.js";
import { Status, statusName } from "../dimse/status.js";
import { DataSet } from "../dicom/dataset.js";
import type { ScanResult } from "../dicom/header-scanner.js";
import { encodeFileMeta } from "../dicom/part10.js";
import { encodingOf } from "../dicom/transfer-syntax.js";
import { errorMessage } from "../errors.js";
import type { EventContext } from "../router/event-context.js";
import { emptyDecision, type Decision } from "../router/rule-set.js";
import { IncomingFile, type HeaderPlan, type ReceivedFile } from "../store/incoming-file.js";
import { placeByLayout } from "../store/layout.js";
import { isNoSpace } from "../store/storage-area.js";
import type { ServiceContext } from "./context.js";

export interface StoreOutcome {
  status: number;
  comment?: string;
  /** Where the object was stored (absolute), when it was kept. */
  path?: string;
  /** This transfer's file became the stored (or spooled) object; otherwise its temporary file is removed. */
  committed?: boolean;
}

/** State decided from the header while the rest of the data set is still arriving. */
interface Plan {
  outcome?: StoreOutcome;
  ds?: DataSet;
  decision?: Decision;
  sopInstanceUid?: string;
}

/** Serializes commits of one SOP Instance UID across associations, so duplicate handling is decided once. */
const commitLocks = new Map<string, Promise<unknown>>();

function withUidLock<T>(uid: string, fn: () => Promise<T>): Promise<T> {
  const prev = commitLocks.get(uid) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => {});
  commitLocks.set(uid, tail);
  void tail.then(() => {
    if (commitLocks.get(uid) === tail) commitLocks.delete(uid);
  });
  return next;
}

/** Discards a data set refused before it began, still reading it so the association stays in step. */
class DiscardSink implements DataSink {
  private resolve!: () => void;
  private reject!: (e: Error) => void;
  readonly done = new Promise<void>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
  write(): void {}
  end(): void {
    this.resolve();
  }
  abort(reason: Error): void {
    this.reject(reason);
  }
}

export function eventOrigin(ctx: ServiceContext) {
  const a = ctx.association;
  return { callingAE: a.callingAE, calledAE: a.calledAE, address: a.address, associationId: a.id };
}

/** Parses the header and checks it against the command (PS3.4 B.2.3): same SOP Class and Instance. */
function inspect(cmd: CommandSet, transferSyntaxUid: string, scan: ScanResult, failure: string | null): { ds: DataSet } | { outcome: StoreOutcome } {
  if (failure) return { outcome: { status: Status.CannotUnderstand, comment: `cannot parse data set: ${failure}` } };
  let ds: DataSet;
  try {
    ds = DataSet.parse(scan.header, transferSyntaxUid, { inflated: encodingOf(transferSyntaxUid).deflated });
  } catch (err) {
    return { outcome: { status: Status.CannotUnderstand, comment: errorMessage(err) } };
  }
  const dsClass = ds.string("SOPClassUID");
  const dsInstance = ds.string("SOPInstanceUID");
  if (dsClass !== cmd.AffectedSOPClassUID || dsInstance !== cmd.AffectedSOPInstanceUID) {
    return { outcome: { status: Status.DataSetDoesNotMatchSopClass, comment: `data set has SOP ${dsClass ?? "none"}/${dsInstance ?? "none"}` } };
  }
  return { ds };
}

/** The header plan: store rules run here, on the header, before anything is written. */
function decideHeader(ctx: ServiceContext, msg: IncomingMessage, plan: Plan, scan: ScanResult, failure: string | null): HeaderPlan | "drop" {
  const cmd = msg.command;
  const ts = msg.context.transferSyntax;
  const found = inspect(cmd, ts, scan, failure);
  if ("outcome" in found) {
    plan.outcome = found.outcome;
    return "drop";
  }
  const ds = found.ds;
  let decision = emptyDecision();
  if (ctx.router.decides(ctx.generation, "store")) {
    const ev: EventContext = { event: "store", origin: eventOrigin(ctx), dataset: ds, now: new Date() };
    decision = ctx.router.decide(ctx.generation, "store", ev);
    if (decision.reject) {
      plan.outcome = { status: decision.reject.status, comment: decision.reject.message ?? "refused by rule" };
      return "drop";
    }
  }
  plan.ds = ds;
  plan.decision = decision;
  plan.sopInstanceUid = ds.string("SOPInstanceUID") ?? cmd.AffectedSOPInstanceUID!;
  const header = decision.coerced ? ds.encode(ts) : scan.header;
  const prefix = encodeFileMeta({ sopClassUid: cmd.AffectedSOPClassUID!, sopInstanceUid: plan.sopInstanceUid, transferSyntaxUid: ts, sourceAETitle: ctx.association.callingAE });
  return { prefix, header };
}

export function handleStore(ctx: ServiceContext, msg: IncomingMessage, link: DimseLink): DataSink {
  const cmd = msg.command;
  const respond = (o: StoreOutcome) => sendStoreResponse(link, msg, o);
  if (!cmd.AffectedSOPClassUID || !cmd.AffectedSOPInstanceUID) {
    const sink = new DiscardSink();
    void link.track(sink.done.then(() => respond({ status: Status.CannotUnderstand, comment: "C-STORE-RQ lacks the affected SOP class or instance UID" }))).catch(() => {});
    return sink;
  }
  const plan: Plan = {};
  const spare = ctx.storage.takeTemp(ctx.storage.root);
  const file = new IncomingFile({
    tempPath: spare?.path ?? ctx.storage.tempPath(ctx.storage.root, `${ctx.association.id}-${cmd.MessageID ?? 0}`),
    fd: spare?.fd,
    prefilled: spare?.prefilled,
    syntax: encodingOf(msg.context.transferSyntax),
    durable: ctx.storage.durability !== "none",
    flow: link.flow,
    decide: (scan, failure) => decideHeader(ctx, msg, plan, scan, failure),
  });
  const started = process.hrtime.bigint();
  void link
    .track(
      receiveAndStore(ctx, msg, file, plan).then(
        (outcome) => {
          const ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
          const fields = { sopInstanceUid: cmd.AffectedSOPInstanceUID, status: statusName(outcome.status), ms, comment: outcome.comment };
          if (outcome.status === Status.Success || outcome.status === Status.CoercionOfDataElements) ctx.log.debug(fields, "C-STORE");
          else ctx.log.warn(fields, "C-STORE refused");
          return respond(outcome);
        },
        (err) => ctx.log.warn({ sopInstanceUid: cmd.AffectedSOPInstanceUID, err: errorMessage(err) }, "C-STORE transfer aborted; partial data discarded"),
      ),
    )
    .catch(() => {});
  return file;
}

async function receiveAndStore(ctx: ServiceContext, msg: IncomingMessage, file: IncomingFile, plan: Plan): Promise<StoreOutcome> {
  let received: ReceivedFile;
  try {
    received = await file.complete();
  } catch (err) {
    await file.discard();
    if ((err as { code?: string }).code === "UL_ASSOCIATION_ABORTED") throw err;
    if (isNoSpace(err)) return { status: Status.OutOfResources, comment: `out of space while writing: ${errorMessage(err)}` };
    if ((err as { code?: string }).code === "DICOM_PARSE") return { status: Status.CannotUnderstand, comment: errorMessage(err) };
    return { status: Status.OutOfResources, comment: `cannot write the object: ${errorMessage(err)}` };
  }
  ctx.storage.noteFileSize(received.size);
  if (plan.outcome || !plan.ds || !plan.decision) {
    await file.discard();
    return plan.outcome ?? { status: Status.ProcessingFailure, comment: "no decision was made for the object" };
  }
  try {
    const outcome = await keep(ctx, msg, received, plan.ds, plan.decision, plan.sopInstanceUid!);
    if (!outcome.committed) await file.discard();
    return outcome;
  } catch (err) {
    await file.discard();
    if (isNoSpace(err)) return { status: Status.OutOfResources, comment: `out of space: ${errorMessage(err)}` };
    ctx.log.error({ err: errorMessage(err) }, "C-STORE failed");
    return { status: Status.ProcessingFailure, comment: errorMessage(err) };
  }
}

async function keep(ctx: ServiceContext, msg: IncomingMessage, rx: ReceivedFile, ds: DataSet, d: Decision, sopInstanceUid: string): Promise<StoreOutcome> {
  const sopClassUid = msg.command.AffectedSOPClassUID!;
  const transferSyntaxUid = msg.context.transferSyntax;
  const success = d.coerced ? Status.CoercionOfDataElements : Status.Success;
  const space = await ctx.storage.spaceProblem(rx.size, ctx.catalog.totalBytes());
  if (space) return { status: Status.OutOfResources, comment: space };

  if (d.discard) {
    // A pure router: the object lives in the spool only until its forwards are done.
    if (d.forwards.length === 0) return { status: success, comment: "not kept by rule" };
    const spoolPath = ctx.storage.spoolPath(sopInstanceUid);
    await ctx.storage.commit(rx, spoolPath);
    const jobs = ctx.router.forwardJobs(d, { path: spoolPath, sopInstanceUid, sopClassUid, transferSyntaxUid, spooled: true });
    ctx.catalog.db.transaction(() => ctx.router.enqueue(jobs))();
    return { status: success, path: spoolPath, committed: true };
  }

  const place = d.storePath
    ? { root: ctx.storage.root, relative: d.storePath }
    : placeByLayout(ctx.config.storage, ctx.storage.root, ctx.storage.doseRoot, ds, sopClassUid, sopInstanceUid);
  let finalPath = join(place.root, ...place.relative.split("/"));

  return withUidLock(sopInstanceUid, async () => {
    // The indexed lookup first: the joined row is read only for a real duplicate.
    const existing = ctx.catalog.hasInstance(sopInstanceUid) ? ctx.catalog.getInstance(sopInstanceUid) : undefined;
    if (existing) {
      const policy = ctx.config.storage.duplicates;
      if (policy === "keep-first") return { status: Status.Success, comment: "duplicate SOP instance: first copy kept", path: ctx.storage.absolutePath(existing.path) };
      if (policy === "reject") return { status: Status.DuplicateSopInstance, comment: "duplicate SOP instance refused" };
    } else if (d.storePath && existsSync(finalPath)) {
      // A template that names the same file for two objects must not overwrite the first one.
      finalPath = finalPath.replace(/(\.[A-Za-z0-9]+)?$/, (ext) => `~${sopInstanceUid.slice(-12)}${ext}`);
    }
    // "stored" rules see the object as it will be kept; their forwards join the store rules' in one transaction.
    const stored = ctx.router.decides(ctx.generation, "stored")
      ? ctx.router.decide(ctx.generation, "stored", { event: "stored", origin: eventOrigin(ctx), dataset: ds, now: new Date() })
      : emptyDecision();
    const forwards = { ...d, forwards: [...new Set([...d.forwards, ...stored.forwards])], matched: [...d.matched, ...stored.matched] };
    const record = {
      sopInstanceUid,
      sopClassUid,
      transferSyntaxUid,
      path: ctx.storage.catalogPath(finalPath),
      size: rx.size,
      receivedAt: new Date().toISOString(),
      sourceAE: ctx.association.callingAE,
      dataset: ds,
    };
    const jobs = ctx.router.forwardJobs(forwards, { path: finalPath, sopInstanceUid, sopClassUid, transferSyntaxUid, spooled: false });
    // With forward jobs, the row and the jobs commit together; alone, the insert is its own transaction.
    const index = () =>
      jobs.length === 0
        ? ctx.catalog.insertInstance(record)
        : ctx.catalog.db.transaction(() => {
            ctx.catalog.insertInstance(record);
            ctx.router.enqueue(jobs);
          })();
    if (existing || jobs.length > 0) {
      await ctx.storage.commit(rx, finalPath);
      index();
      if (existing) {
        const oldPath = ctx.storage.absolutePath(existing.path);
        if (oldPath !== finalPath) await ctx.storage.remove(oldPath);
      }
    } else {
      // A new object without forwards is indexed while its data syncs; if the commit fails the row goes again.
      const committing = ctx.storage.commit(rx, finalPath);
      committing.catch(() => {});
      index();
      try {
        await committing;
      } catch (err) {
        ctx.catalog.deleteInstance(sopInstanceUid);
        throw err;
      }
    }
    const runs = { ...stored, runs: [...new Set([...d.runs, ...stored.runs])], logs: [...d.logs, ...stored.logs] };
    ctx.router.afterStored(ctx.generation, runs, finalPath, ds.string("StudyInstanceUID"), ds, eventOrigin(ctx));
    return { status: success, path: finalPath, committed: true };
  });
}

export function sendStoreResponse(link: DimseLink, msg: IncomingMessage, o: StoreOutcome): Promise<void> {
  const rsp: CommandSet = {
    CommandField: CommandField.C_STORE_RSP,
    AffectedSOPClassUID: msg.command.AffectedSOPClassUID ?? "",
    AffectedSOPInstanceUID: msg.command.AffectedSOPInstanceUID ?? "",
    MessageIDBeingRespondedTo: msg.command.MessageID ?? 0,
    CommandDataSetType: NO_DATA_SET,
    Status: o.status,
  };
  // PS3.7 C.4: an ErrorComment (LO, 64 characters) explains failures and warnings.
  if (o.comment && o.status !== Status.Success) rsp.ErrorComment = o.comment.replace(/[\\\x00-\x1f]/g, " ").slice(0, 64);
  return link.send(msg.context.id, rsp);
}

// Storage Service Class SCP (PS3.4 Annex B): a C-STORE data set streams to a temporary file, its header is
// parsed, and success is answered only after the file is durable and indexed (DESIGN.md section 7).
import { CommandField, NO_DATA_SET, type CommandSet } from "../dimse/command.js";
import type { DimseLink } from "../dimse/dimse-link.js";
import type { DataSink, IncomingMessage } from "../dimse/message.js";
import { Status, statusName } from "../dimse/status.js";
import { DataSet } from "../dicom/dataset.js";
import { encodeFileMeta } from "../dicom/part10.js";
import { encodingOf } from "../dicom/transfer-syntax.js";
import { errorMessage } from "../errors.js";
import { IncomingFile, type ReceivedFile } from "../store/incoming-file.js";
import { placeByLayout } from "../store/layout.js";
import { isNoSpace } from "../store/storage-area.js";
import { join } from "node:path";
import type { ServiceContext } from "./context.js";
import type { ScanResult } from "../dicom/header-scanner.js";

export interface StoreOutcome {
  status: number;
  comment?: string;
  /** Where the object was stored (absolute), when it was kept. */
  path?: string;
  /** This transfer's file became the stored object (otherwise its temporary file is removed). */
  committed?: boolean;
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

/** Discards a data set we will refuse anyway, still reading it so the association stays in step. */
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

export function handleStore(ctx: ServiceContext, msg: IncomingMessage, link: DimseLink): DataSink {
  const cmd = msg.command;
  const sopClassUid = cmd.AffectedSOPClassUID ?? "";
  const sopInstanceUid = cmd.AffectedSOPInstanceUID ?? "";
  const respond = (o: StoreOutcome) => sendStoreResponse(link, msg, o);

  if (!sopClassUid || !sopInstanceUid) {
    const sink = new DiscardSink();
    void link.track(sink.done.then(() => respond({ status: Status.CannotUnderstand, comment: "C-STORE-RQ lacks the affected SOP class or instance UID" }))).catch(() => {});
    return sink;
  }

  const syntax = encodingOf(msg.context.transferSyntax);
  const spare = ctx.storage.takeTemp(ctx.storage.root);
  const file = new IncomingFile({
    tempPath: spare?.path ?? ctx.storage.tempPath(ctx.storage.root, `${ctx.association.id}-${cmd.MessageID ?? 0}`),
    handle: spare?.handle,
    prefix: encodeFileMeta({ sopClassUid, sopInstanceUid, transferSyntaxUid: syntax.uid, sourceAETitle: ctx.association.callingAE }),
    syntax,
    flow: link.flow,
  });

  const started = process.hrtime.bigint();
  void link
    .track(
      receiveAndStore(ctx, msg, file).then(
        (outcome) => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const log = outcome.status === Status.Success ? ctx.log.debug.bind(ctx.log) : ctx.log.warn.bind(ctx.log);
          log({ sopInstanceUid, status: statusName(outcome.status), ms: Math.round(ms * 10) / 10, comment: outcome.comment }, "C-STORE");
          return respond(outcome);
        },
        (err) => {
          // The association failed mid-transfer: nothing to answer, nothing kept.
          ctx.log.warn({ sopInstanceUid, err: errorMessage(err) }, "C-STORE transfer aborted; partial data discarded");
        },
      ),
    )
    .catch(() => {});
  return file;
}

type Inspection = { ds: DataSet } | { outcome: StoreOutcome };

/** Parses the header and checks it against the command (PS3.4 B.2.3): the data set must carry the SOP Class and
 * Instance the C-STORE-RQ names. */
function inspect(cmd: CommandSet, transferSyntaxUid: string, scan: ScanResult, failure: string | null): Inspection {
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
    return {
      outcome: { status: Status.DataSetDoesNotMatchSopClass, comment: `data set has SOP ${dsClass ?? "none"}/${dsInstance ?? "none"}` },
    };
  }
  return { ds };
}

async function receiveAndStore(ctx: ServiceContext, msg: IncomingMessage, file: IncomingFile): Promise<StoreOutcome> {
  const ts = msg.context.transferSyntax;
  // The header usually completes long before the pixel data: parse it while the rest is still arriving.
  const early = file.headerReady().then((scan) => (scan ? inspect(msg.command, ts, scan, null) : null));
  let received: ReceivedFile;
  try {
    received = await file.complete();
  } catch (err) {
    await file.discard();
    if (isNoSpace(err)) return { status: Status.OutOfResources, comment: `out of space while writing: ${errorMessage(err)}` };
    if ((err as { code?: string }).code === "UL_ASSOCIATION_ABORTED") throw err;
    return { status: Status.OutOfResources, comment: `cannot write the object: ${errorMessage(err)}` };
  }
  try {
    const inspection = (await early) ?? inspect(msg.command, ts, received.scan, received.failure);
    const outcome = "outcome" in inspection ? inspection.outcome : await keep(ctx, msg.command, ts, received, inspection.ds);
    if (!outcome.committed) await file.discard();
    return outcome;
  } catch (err) {
    await file.discard();
    if (isNoSpace(err)) return { status: Status.OutOfResources, comment: `out of space: ${errorMessage(err)}` };
    ctx.log.error({ err: errorMessage(err) }, "C-STORE failed");
    return { status: Status.ProcessingFailure, comment: errorMessage(err).slice(0, 64) };
  }
}

async function keep(ctx: ServiceContext, cmd: CommandSet, transferSyntaxUid: string, rx: ReceivedFile, ds: DataSet): Promise<StoreOutcome> {
  const sopClassUid = cmd.AffectedSOPClassUID!;
  const sopInstanceUid = cmd.AffectedSOPInstanceUID!;
  const space = await ctx.storage.spaceProblem(rx.size, ctx.catalog.totalBytes());
  if (space) return { status: Status.OutOfResources, comment: space.slice(0, 64) };

  const placement = placeByLayout(ctx.config.storage, ctx.storage.root, ctx.storage.doseRoot, ds, sopClassUid, sopInstanceUid);
  const finalPath = join(placement.root, ...placement.relative.split("/"));

  return withUidLock(sopInstanceUid, async () => {
    const existing = ctx.catalog.getInstance(sopInstanceUid);
    if (existing) {
      const policy = ctx.config.storage.duplicates;
      if (policy === "keep-first") return { status: Status.Success, comment: "duplicate SOP instance: first copy kept", path: ctx.storage.absolutePath(existing.path) };
      if (policy === "reject") return { status: Status.DuplicateSopInstance, comment: "duplicate SOP instance refused" };
    }
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
    if (existing) {
      await ctx.storage.commit(rx.handle, rx.tempPath, finalPath);
      ctx.catalog.insertInstance(record);
      const oldPath = ctx.storage.absolutePath(existing.path);
      if (oldPath !== finalPath) await ctx.storage.remove(oldPath);
    } else {
      // A new object is indexed while its data syncs; if the commit fails the row goes again.
      const committing = ctx.storage.commit(rx.handle, rx.tempPath, finalPath);
      committing.catch(() => {});
      ctx.catalog.insertInstance(record);
      try {
        await committing;
      } catch (err) {
        ctx.catalog.deleteInstance(sopInstanceUid);
        throw err;
      }
    }
    return { status: Status.Success, path: finalPath, committed: true };
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
  if (o.comment && o.status !== Status.Success) rsp.ErrorComment = o.comment.replace(/[\\\x00-\x1f]/g, " ").slice(0, 64);
  return link.send(msg.context.id, rsp);
}

// Message exchange over one association (PS3.7 section 8 and Annex E): assembly, routing and fragmentation.
import { createReadStream } from "node:fs";
import { conduitError, errorMessage, type ConduitError } from "../errors.js";
import type { Association, AbortInfo } from "../ul/association.js";
import { PresentationResult } from "../ul/pdu.js";
import { CommandField, decodeCommand, encodeCommand, hasDataSet, commandName, type CommandSet } from "./command.js";
import { statusCategory } from "./status.js";
import type { DataSink, Flow, IncomingMessage, OutgoingData, PresentationContext } from "./message.js";

export interface MessageHandler {
  /** A request arrived; return a sink when the command announces a data set. */
  request(msg: IncomingMessage, link: DimseLink): DataSink | undefined;
  /** A C-CANCEL-RQ for an operation still in progress. */
  cancel?(messageIdBeingRespondedTo: number): void;
}

export interface ResponseWaiter {
  /** Called for every response; return a sink for its data set if one follows. Return true from done() when final. */
  response(cmd: CommandSet): DataSink | undefined;
  /** The final (non-pending) response has arrived, with its data set complete if it had one. */
  final(cmd: CommandSet): void;
  failed(err: ConduitError): void;
}

interface Receiving {
  contextId: number;
  commandParts: Buffer[];
  command?: CommandSet;
  sink?: DataSink;
  waiter?: ResponseWaiter;
  isFinalResponse?: boolean;
}

export class DimseLink {
  private receiving: Receiving | null = null;
  private readonly waiters = new Map<number, ResponseWaiter>();
  private nextMessageId = 1;
  private sendChain: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private releaseRequested = false;
  private closedError?: ConduitError;
  readonly contexts = new Map<number, PresentationContext>();

  constructor(
    readonly association: Association,
    private handler: MessageHandler,
  ) {
    const ac = association.ac;
    const rq = association.rq;
    if (ac && rq) {
      for (const pc of ac.presentationContexts) {
        if (pc.result !== PresentationResult.Acceptance) continue;
        const proposed = rq.presentationContexts.find((p) => p.id === pc.id);
        if (proposed) this.contexts.set(pc.id, { id: pc.id, abstractSyntax: proposed.abstractSyntax, transferSyntax: pc.transferSyntax });
      }
    }
    association.inMessage = () => this.receiving !== null;
    association.handler = {
      associate: association.handler.associate,
      established: association.handler.established,
      data: (pdv) => this.onPdv(pdv.contextId, pdv.command, pdv.last, pdv.data),
      releaseRequested: () => this.onReleaseRequested(),
      abort: (info) => this.onAbort(info),
      closed: () => this.onAbort(undefined),
    };
  }

  setHandler(handler: MessageHandler): void {
    this.handler = handler;
  }

  get flow(): Flow {
    return { pause: () => this.association.pause("sink"), resume: () => this.association.resume("sink") };
  }

  allocateMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = (this.nextMessageId % 0xffff) + 1;
    return id;
  }

  /** Accepted context for an abstract syntax, preferring one of the given transfer syntaxes in order. */
  findContext(abstractSyntax: string, transferSyntaxes?: readonly string[]): PresentationContext | undefined {
    const candidates = [...this.contexts.values()].filter((c) => c.abstractSyntax === abstractSyntax);
    if (!transferSyntaxes) return candidates[0];
    for (const ts of transferSyntaxes) {
      const c = candidates.find((x) => x.transferSyntax === ts);
      if (c) return c;
    }
    return undefined;
  }

  /** Keeps the association open for release until the operation settles. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => {
      this.inFlight.delete(p);
      this.maybeAnswerRelease();
    };
    p.then(done, done);
    return p;
  }

  // ------------------------------------------------------------ receiving

  private onPdv(contextId: number, isCommand: boolean, last: boolean, data: Buffer): void {
    this.association.touch();
    const ctx = this.contexts.get(contextId);
    if (!ctx) {
      this.association.providerAbort(6, `PDV on presentation context ${contextId}, which was not accepted`);
      return;
    }
    let r = this.receiving;
    if (isCommand) {
      if (r && (r.command || r.contextId !== contextId)) {
        this.association.providerAbort(2, `command fragment on context ${contextId} while a message on context ${r.contextId} is incomplete`);
        return;
      }
      if (!r) r = this.receiving = { contextId, commandParts: [] };
      r.commandParts.push(Buffer.from(data));
      if (r.commandParts.length > 4096) {
        this.association.providerAbort(6, "command set spread over more than 4096 fragments");
        return;
      }
      if (last) this.onCommandComplete(r, ctx);
      return;
    }
    if (!r || !r.command || r.contextId !== contextId) {
      this.association.providerAbort(2, `data fragment on context ${contextId} without a preceding command`);
      return;
    }
    r.sink?.write(data);
    if (last) {
      this.receiving = null;
      r.sink?.end();
      if (r.waiter && r.isFinalResponse) this.finishWaiter(r.command);
      this.association.touch();
    }
  }

  private onCommandComplete(r: Receiving, ctx: PresentationContext): void {
    let cmd: CommandSet;
    try {
      cmd = decodeCommand(Buffer.concat(r.commandParts));
    } catch (err) {
      this.association.providerAbort(6, errorMessage(err));
      return;
    }
    r.command = cmd;
    r.commandParts = [];
    const withData = hasDataSet(cmd);
    if (cmd.CommandField & 0x8000) {
      const waiter = this.waiters.get(cmd.MessageIDBeingRespondedTo ?? -1);
      if (!waiter) {
        this.association.providerAbort(2, `${commandName(cmd.CommandField)} answers message ${cmd.MessageIDBeingRespondedTo}, which is not outstanding`);
        return;
      }
      r.waiter = waiter;
      r.isFinalResponse = statusCategory(cmd.Status ?? 0) !== "pending";
      r.sink = waiter.response(cmd);
      if (!withData) {
        this.receiving = null;
        if (r.isFinalResponse) this.finishWaiter(cmd);
      }
    } else if (cmd.CommandField === CommandField.C_CANCEL_RQ) {
      this.receiving = null;
      if (cmd.MessageIDBeingRespondedTo !== undefined) this.handler.cancel?.(cmd.MessageIDBeingRespondedTo);
    } else {
      try {
        r.sink = this.handler.request({ context: ctx, command: cmd }, this);
      } catch (err) {
        this.association.providerAbort(0, `handler failed: ${errorMessage(err)}`);
        return;
      }
      if (!withData) this.receiving = null;
    }
    this.association.touch();
  }

  private finishWaiter(cmd: CommandSet): void {
    const id = cmd.MessageIDBeingRespondedTo ?? -1;
    const waiter = this.waiters.get(id);
    this.waiters.delete(id);
    waiter?.final(cmd);
  }

  private onReleaseRequested(): void {
    this.releaseRequested = true;
    this.maybeAnswerRelease();
  }

  private maybeAnswerRelease(): void {
    if (this.releaseRequested && this.inFlight.size === 0 && this.receiving === null) {
      this.releaseRequested = false;
      // Let queued responses reach the socket before the A-RELEASE-RP.
      void this.sendChain.then(() => this.association.releaseResponse());
    }
  }

  private onAbort(info: AbortInfo | undefined): void {
    if (this.closedError) return;
    const message = info?.message ?? "connection closed";
    this.closedError = conduitError("UL_ASSOCIATION_ABORTED", message, info ? { ...info } : {});
    const r = this.receiving;
    this.receiving = null;
    r?.sink?.abort(this.closedError);
    for (const w of this.waiters.values()) w.failed(this.closedError);
    this.waiters.clear();
  }

  /** A message is partly received or an operation has not answered yet. */
  get busy(): boolean {
    return this.receiving !== null || this.inFlight.size > 0;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  // ------------------------------------------------------------ sending

  /** Sends one message; messages are never interleaved on the wire. */
  send(contextId: number, command: CommandSet, data?: OutgoingData): Promise<void> {
    const run = this.sendChain.then(() => this.sendNow(contextId, command, data));
    this.sendChain = run.catch(() => {});
    return run;
  }

  /** Sends a request and routes its responses to the waiter. */
  request(contextId: number, command: CommandSet, waiter: ResponseWaiter, data?: OutgoingData): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = command.MessageID ?? this.allocateMessageId();
    command.MessageID = id;
    this.waiters.set(id, waiter);
    return this.send(contextId, command, data).catch((err) => {
      this.waiters.delete(id);
      throw err;
    });
  }

  private async sendNow(contextId: number, command: CommandSet, data?: OutgoingData): Promise<void> {
    if (this.closedError) throw this.closedError;
    const a = this.association;
    const max = a.maxSendPdvData;
    const cmd = encodeCommand(command);
    for (let off = 0; off < cmd.length; off += max) {
      const end = Math.min(off + max, cmd.length);
      if (!a.sendPdv(contextId, true, end === cmd.length, cmd.subarray(off, end))) await a.drained();
    }
    if (!data) return;
    if (Buffer.isBuffer(data)) {
      if (data.length === 0) {
        a.sendPdv(contextId, false, true, data);
        return;
      }
      for (let off = 0; off < data.length; off += max) {
        const end = Math.min(off + max, data.length);
        if (!a.sendPdv(contextId, false, end === data.length, data.subarray(off, end))) await a.drained();
        if (this.closedError) throw this.closedError;
      }
      return;
    }
    await this.sendFile(contextId, data, max);
  }

  private async sendFile(contextId: number, src: { path: string; start: number; end?: number }, max: number): Promise<void> {
    const a = this.association;
    // Reads of highWaterMark bytes give fragments of at most one PDV; one is held back to carry the last bit.
    const stream = createReadStream(src.path, {
      start: src.start,
      end: src.end === undefined ? undefined : src.end - 1,
      highWaterMark: max,
    });
    let held: Buffer | null = null;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.closedError) throw this.closedError;
        if (held && !a.sendPdv(contextId, false, false, held)) await a.drained();
        held = chunk;
      }
    } finally {
      stream.destroy();
    }
    if (this.closedError) throw this.closedError;
    a.sendPdv(contextId, false, true, held ?? Buffer.alloc(0));
  }
}

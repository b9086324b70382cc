// One DICOM association over one TCP connection: the PS3.8 9.2 state machine driving PDU I/O, both roles.
import { connect as tcpConnect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { conduitError, errorMessage, type ConduitError } from "../errors.js";
import { decodeAbort, describeAbort, encodeAbort } from "./a-abort.js";
import {
  decodeAssociateAC,
  decodeAssociateRJ,
  decodeAssociateRQ,
  encodeAssociateAC,
  encodeAssociateRJ,
  encodeAssociateRQ,
} from "./a-associate.js";
import { encodeReleaseRP, encodeReleaseRQ } from "./a-release.js";
import { pDataHeader } from "./p-data.js";
import {
  AbortReason,
  AbortSource,
  PduType,
  pduName,
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  type PresentationDataValue,
} from "./pdu.js";
import { PduReader } from "./pdu-reader.js";
import { actionFor, NEXT_STATE, type Action, type Event, type State } from "./state-machine.js";

export interface AbortInfo {
  /** "peer": A-ABORT PDU received; "provider": protocol error or connection loss (A-P-ABORT); "local": we aborted. */
  origin: "peer" | "provider" | "local";
  source: number;
  reason: number;
  message: string;
}

export interface AssociationTimeouts {
  /** ARTIM (PS3.8 9.1.5): waiting for A-ASSOCIATE-RQ, A-ASSOCIATE-AC/RJ or the close after release/abort. */
  artimMs: number;
  /** No PDU received while established and between messages. */
  idleMs: number;
  /** No PDU received while a message is partially received. */
  dimseMs: number;
}

export interface AssociationOptions {
  maxPduReceive: number;
  /** Upper bound on the PDUs we send, whatever the peer allows (0 = the peer's limit). */
  maxPduSend: number;
  timeouts: AssociationTimeouts;
}

export type AssociateDecision = { accept: AssociateAC } | { reject: Omit<AssociateRJ, "type"> };

export interface AssociationHandler {
  /** Acceptor: A-ASSOCIATE indication; the answer is the A-ASSOCIATE response primitive (Evt7/Evt8). */
  associate?(rq: AssociateRQ): Promise<AssociateDecision> | AssociateDecision;
  /** The association is established (after AE-7 as acceptor, AE-3 as requestor). */
  established?(): void;
  /** P-DATA indication, one PDV at a time. */
  data(pdv: PresentationDataValue): void;
  /** A-RELEASE indication; call release response when ready. */
  releaseRequested(): void;
  abort(info: AbortInfo): void;
  closed(): void;
}

const NOOP_HANDLER: AssociationHandler = { data() {}, releaseRequested() {}, abort() {}, closed() {} };

export class Association {
  readonly id: string;
  state: State = "Sta1";
  rq?: AssociateRQ;
  ac?: AssociateAC;
  readonly role: "acceptor" | "requestor";
  handler: AssociationHandler = NOOP_HANDLER;
  private readonly reader: PduReader;
  private artim?: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  /** The timeout the idle timer was armed with. */
  private idleMs = 0;
  private closedNotified = false;
  private pDataOpen = false;
  private pausedBy = new Set<string>();
  private connectWaiter?: { resolve: () => void; reject: (e: ConduitError) => void };
  private releaseWaiter?: { resolve: () => void; reject: (e: ConduitError) => void };
  abortInfo?: AbortInfo;

  constructor(
    readonly socket: Socket,
    role: "acceptor" | "requestor",
    readonly options: AssociationOptions,
  ) {
    this.role = role;
    this.id = randomBytes(4).toString("hex");
    this.reader = new PduReader(
      { maxPDataLength: options.maxPduReceive, maxOtherLength: Math.max(1 << 20, options.maxPduReceive) },
      {
        pdu: (type, body) => this.onPdu(type, body),
        pDataStart: () => this.onPDataStart(),
        pdvFragment: (contextId, mch, data, pdvEnd) => {
          if (this.pDataOpen) this.handler.data({ contextId, command: (mch & 0x01) !== 0, last: pdvEnd && (mch & 0x02) !== 0, data });
        },
      },
    );
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onChunk(chunk));
    socket.on("error", () => {
      /* reported through close */
    });
    socket.on("close", () => this.onTransportClosed());
  }

  get peerAddress(): string {
    return `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? "?"}`;
  }

  get callingAE(): string {
    return this.rq?.callingAE ?? "";
  }

  get calledAE(): string {
    return this.rq?.calledAE ?? "";
  }

  /** Largest PDV data length we may send in one P-DATA-TF (PS3.8 D.1: the peer's limit counts the PDV header). */
  get maxSendPdvData(): number {
    const peer = this.role === "acceptor" ? this.rq?.userInfo.maxLength ?? 0 : this.ac?.userInfo.maxLength ?? 0;
    let limit = peer === 0 ? 0 : peer;
    if (this.options.maxPduSend > 0) limit = limit === 0 ? this.options.maxPduSend : Math.min(limit, this.options.maxPduSend);
    if (limit === 0) limit = 1 << 20;
    return Math.max(limit - 6, 1);
  }

  get established(): boolean {
    return this.state === "Sta6";
  }

  // ------------------------------------------------------------ acceptor side

  /** Evt5: a transport connection arrived. */
  static accept(socket: Socket, options: AssociationOptions, handler: AssociationHandler): Association {
    const a = new Association(socket, "acceptor", options);
    a.handler = handler;
    a.fire("Evt5");
    return a;
  }

  // ------------------------------------------------------------ requestor side

  /** Evt1..Evt3: connect and negotiate; resolves once the association is established. */
  static async request(
    host: string,
    port: number,
    rq: AssociateRQ,
    options: AssociationOptions & { connectTimeoutMs: number },
    handler: AssociationHandler = NOOP_HANDLER,
  ): Promise<Association> {
    const socket = tcpConnect({ host, port, noDelay: true });
    const a = new Association(socket, "requestor", options);
    a.handler = handler;
    a.rq = rq;
    a.transition("Evt1");
    await new Promise<void>((resolve, reject) => {
      a.connectWaiter = { resolve, reject };
      const timer = setTimeout(() => {
        socket.destroy();
        reject(conduitError("UL_CONNECTION_FAILED", `no TCP connection to ${host}:${port} within ${options.connectTimeoutMs} ms`));
      }, options.connectTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        a.fire("Evt2");
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        if (a.state === "Sta4") {
          a.state = "Sta1";
          reject(conduitError("UL_CONNECTION_FAILED", `cannot connect to ${host}:${port}: ${errorMessage(err)}`, {}, err));
        }
      });
    });
    return a;
  }

  // ------------------------------------------------------------ primitives from the local user

  /** Evt9: P-DATA request carrying one PDV; returns false when the socket buffer is full. */
  sendPdv(contextId: number, command: boolean, last: boolean, data: Buffer): boolean {
    if (this.state !== "Sta6" && this.state !== "Sta8") {
      throw conduitError("UL_NOT_ESTABLISHED", `cannot send P-DATA in state ${this.state}`);
    }
    const s = this.socket;
    s.cork();
    s.write(pDataHeader(contextId, command, last, data.length));
    const ok = s.write(data);
    process.nextTick(() => s.uncork());
    return ok;
  }

  /** Resolves when the socket's write buffer has drained (or the connection ended). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** Evt11: A-RELEASE request; resolves on the A-RELEASE-RP (AR-3). */
  release(): Promise<void> {
    if (this.state !== "Sta6") return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.releaseWaiter = { resolve, reject };
      this.transition("Evt11");
    });
  }

  /** Evt14: A-RELEASE response after an A-RELEASE indication. */
  releaseResponse(): void {
    if (this.state === "Sta8" || this.state === "Sta9" || this.state === "Sta12") this.transition("Evt14");
  }

  /** Evt15: A-ABORT request (service user). */
  abort(message = "aborted locally"): void {
    if (this.state === "Sta1" || this.state === "Sta2" || this.state === "Sta13") {
      if (this.state === "Sta2") this.providerAbort(AbortReason.NotSpecified, message);
      return;
    }
    this.abortInfo ??= { origin: "local", source: AbortSource.ServiceUser, reason: 0, message };
    this.transition("Evt15");
  }

  /** Aborts as the service provider (AA-8): protocol violations, limits, timeouts. */
  providerAbort(reason: number, message: string): void {
    if (this.state === "Sta1" || this.state === "Sta13") return;
    this.abortInfo ??= { origin: "provider", source: AbortSource.ServiceProvider, reason, message };
    this.write(encodeAbort(AbortSource.ServiceProvider, reason));
    this.enterSta13();
    this.notifyAbort();
  }

  /** Stops delivering PDUs until every holder has resumed (back-pressure from the data sink). */
  pause(holder: string): void {
    if (this.pausedBy.size === 0) {
      this.socket.pause();
      this.reader.pause();
    }
    this.pausedBy.add(holder);
  }

  resume(holder: string): void {
    if (!this.pausedBy.delete(holder) || this.pausedBy.size > 0) return;
    this.socket.resume();
    this.reader.resume();
  }

  // ------------------------------------------------------------ incoming bytes and PDUs

  private onChunk(chunk: Buffer): void {
    this.armIdle();
    try {
      this.reader.feed(chunk);
    } catch (err) {
      this.protocolError(err);
    }
  }

  private protocolError(err: unknown): void {
    try {
      this.protocolErrorUnsafe(err);
    } catch {
      this.socket.destroy();
    }
  }

  private protocolErrorUnsafe(err: unknown): void {
    const e = err as ConduitError;
    const reason =
      e.code === "UL_PDU_UNRECOGNIZED"
        ? AbortReason.UnrecognizedPdu
        : e.code === "UL_PDU_TOO_LARGE"
          ? AbortReason.InvalidPduParameterValue
          : e.code === "UL_PDU_MALFORMED"
            ? AbortReason.InvalidPduParameterValue
            : AbortReason.NotSpecified;
    this.reader.stop();
    this.fire("Evt19", { reason, message: errorMessage(err) });
  }

  /** Evt10 is decided when a P-DATA-TF starts; its PDVs then stream to the DIMSE layer (DT-2 / AR-6). */
  private onPDataStart(): void {
    const action = actionFor(this.state, "Evt10");
    this.pDataOpen = action === "DT-2" || action === "AR-6";
    if (!this.pDataOpen) this.fire("Evt10");
  }

  private onPdu(type: number, body: Buffer): void {
    switch (type) {
      case PduType.AssociateRQ:
        return this.fire("Evt6", body);
      case PduType.AssociateAC:
        return this.fire("Evt3", body);
      case PduType.AssociateRJ:
        return this.fire("Evt4", body);
      case PduType.ReleaseRQ:
        return this.fire("Evt12");
      case PduType.ReleaseRP:
        return this.fire("Evt13");
      case PduType.Abort:
        return this.fire("Evt16", body);
    }
  }

  private onTransportClosed(): void {
    this.clearTimers();
    this.reader.stop();
    if (this.state !== "Sta1") this.fire("Evt17");
    if (this.connectWaiter && this.state === "Sta1") {
      this.connectWaiter.reject(
        conduitError("UL_CONNECTION_FAILED", this.abortInfo?.message ?? "connection closed during association negotiation"),
      );
      this.connectWaiter = undefined;
    }
    if (!this.closedNotified) {
      this.closedNotified = true;
      this.handler.closed();
    }
  }

  // ------------------------------------------------------------ the state machine

  private fire(event: Event, arg?: unknown): void {
    try {
      this.transition(event, arg);
    } catch (err) {
      if (event === "Evt19") throw err;
      this.protocolError(err);
    }
  }

  private transition(event: Event, arg?: unknown): void {
    const action = actionFor(this.state, event);
    if (!action) {
      if (event === "Evt17" || event === "Evt18") return;
      if (["Evt1", "Evt7", "Evt8", "Evt9", "Evt11", "Evt14", "Evt15"].includes(event)) {
        throw conduitError("UL_NOT_ESTABLISHED", `primitive ${event} is not valid in state ${this.state}`);
      }
      // A PDU the table does not define for this state: treat as unexpected (AA-8).
      return this.run("AA-8", event, { reason: AbortReason.UnexpectedPdu, message: `${event} in ${this.state}` });
    }
    this.run(action, event, arg);
  }

  private run(action: Action, event: Event, arg: unknown): void {
    const next = NEXT_STATE[action];
    switch (action) {
      case "AE-1":
        break; // the socket was created by request()
      case "AE-2":
        this.write(encodeAssociateRQ(this.rq!));
        this.startArtim();
        break;
      case "AE-3":
        this.stopArtim();
        this.ac = decodeAssociateAC(arg as Buffer);
        this.state = "Sta6";
        this.armIdle();
        this.connectWaiter?.resolve();
        this.connectWaiter = undefined;
        this.handler.established?.();
        return;
      case "AE-4": {
        this.stopArtim();
        const rj = decodeAssociateRJ(arg as Buffer);
        this.state = "Sta1";
        this.socket.destroy();
        this.connectWaiter?.reject(
          conduitError("UL_ASSOCIATION_REJECTED", describeReject(rj), { result: rj.result, source: rj.source, reason: rj.reason }),
        );
        this.connectWaiter = undefined;
        return;
      }
      case "AE-5":
        this.startArtim();
        break;
      case "AE-6":
        return this.onAssociateRQ(arg as Buffer);
      case "AE-7":
        this.write(encodeAssociateAC(arg as AssociateAC));
        this.ac = arg as AssociateAC;
        this.state = "Sta6";
        this.armIdle();
        this.handler.established?.();
        return;
      case "AE-8":
        this.write(encodeAssociateRJ(arg as Omit<AssociateRJ, "type">));
        this.socket.end();
        this.startArtim();
        break;
      case "DT-1":
      case "AR-7":
        break; // the PDU itself is written by sendPdv
      case "DT-2":
      case "AR-6":
        break; // PDVs are delivered as they stream in (onPDataStart)
      case "AR-1":
        this.write(encodeReleaseRQ());
        break;
      case "AR-2":
        this.state = "Sta8";
        this.handler.releaseRequested();
        return;
      case "AR-3":
        this.state = "Sta1";
        this.socket.end();
        this.releaseWaiter?.resolve();
        this.releaseWaiter = undefined;
        return;
      case "AR-4":
        this.write(encodeReleaseRP());
        this.socket.end();
        this.startArtim();
        break;
      case "AR-5":
        this.stopArtim();
        break;
      case "AR-8":
        this.state = this.role === "requestor" ? "Sta9" : "Sta10";
        if (this.role === "requestor") this.transition("Evt14"); // answer the collision at once (AR-9)
        return;
      case "AR-9":
        this.write(encodeReleaseRP());
        break;
      case "AR-10":
        this.state = "Sta12";
        this.transition("Evt14");
        return;
      case "AA-1": {
        // A local A-ABORT request is from the service user; a bad PDU before negotiation is reported as the provider.
        const info = (arg ?? {}) as { reason?: number; message?: string };
        const user = event === "Evt15";
        const reason = user ? 0 : info.reason ?? AbortReason.UnexpectedPdu;
        this.write(encodeAbort(user ? AbortSource.ServiceUser : AbortSource.ServiceProvider, reason));
        this.abortInfo ??= {
          origin: user ? "local" : "provider",
          source: user ? AbortSource.ServiceUser : AbortSource.ServiceProvider,
          reason,
          message: info.message ?? `unexpected ${pduEventName(event)} before A-ASSOCIATE-RQ`,
        };
        this.enterSta13();
        this.notifyAbort();
        return;
      }
      case "AA-2":
        this.stopArtim();
        this.socket.destroy();
        break;
      case "AA-3": {
        const ab = decodeAbort(arg as Buffer);
        this.abortInfo ??= { origin: "peer", source: ab.source, reason: ab.reason, message: describeAbort(ab.source, ab.reason) };
        this.state = "Sta1";
        this.socket.destroy();
        this.notifyAbort();
        return;
      }
      case "AA-4":
        this.abortInfo ??= {
          origin: "provider",
          source: AbortSource.ServiceProvider,
          reason: 0,
          message: "connection closed by the peer without release",
        };
        this.state = "Sta1";
        this.notifyAbort();
        return;
      case "AA-5":
        this.stopArtim();
        break;
      case "AA-6":
        break;
      case "AA-7":
        this.write(encodeAbort(AbortSource.ServiceProvider, AbortReason.UnexpectedPdu));
        break;
      case "AA-8": {
        const info = (arg ?? {}) as { reason?: number; message?: string };
        this.providerAbort(info.reason ?? AbortReason.UnexpectedPdu, info.message ?? `unexpected ${event} in ${this.state}`);
        return;
      }
    }
    if (next) this.state = next;
  }

  private onAssociateRQ(body: Buffer): void {
    this.stopArtim();
    let rq: AssociateRQ;
    try {
      rq = decodeAssociateRQ(body);
    } catch (err) {
      this.state = "Sta2";
      throw err;
    }
    this.rq = rq;
    this.state = "Sta3";
    const decide = this.handler.associate;
    if (!decide) throw conduitError("UL_NOT_ESTABLISHED", "no acceptor policy installed");
    Promise.resolve()
      .then(() => decide(rq))
      .then(
        (d) => {
          if (this.state !== "Sta3") return;
          if ("accept" in d) this.transition("Evt7", d.accept);
          else this.transition("Evt8", d.reject);
        },
        (err) => {
          if (this.state !== "Sta3") return;
          this.abortInfo ??= { origin: "local", source: 0, reason: 0, message: `associate handler failed: ${errorMessage(err)}` };
          this.transition("Evt8", { result: 2, source: 1, reason: 1 });
        },
      );
  }

  private enterSta13(): void {
    this.state = "Sta13";
    this.reader.stop();
    this.socket.end();
    this.startArtim();
  }

  private notifyAbort(): void {
    this.clearIdle();
    const info = this.abortInfo!;
    const err = conduitError("UL_ASSOCIATION_ABORTED", info.message, { origin: info.origin, source: info.source, reason: info.reason });
    this.connectWaiter?.reject(err);
    this.connectWaiter = undefined;
    this.releaseWaiter?.reject(err);
    this.releaseWaiter = undefined;
    this.handler.abort(info);
  }

  private write(buf: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(buf);
  }

  // ------------------------------------------------------------ timers

  private startArtim(): void {
    this.stopArtim();
    this.artim = setTimeout(() => {
      this.artim = undefined;
      if (this.state === "Sta2" || this.state === "Sta13") {
        this.transition("Evt18");
      } else if (this.state === "Sta5") {
        this.abortInfo ??= { origin: "local", source: 0, reason: 0, message: "no A-ASSOCIATE-AC/RJ within ARTIM" };
        this.transition("Evt15");
        this.socket.destroy();
      }
    }, this.options.timeouts.artimMs);
    this.artim.unref();
  }

  private stopArtim(): void {
    if (this.artim) clearTimeout(this.artim);
    this.artim = undefined;
  }

  /** Re-arms the idle or DIMSE timer on every received chunk while established. */
  private armIdle(): void {
    if (this.state !== "Sta6" && this.state !== "Sta7" && this.state !== "Sta8") return;
    const ms = this.reader.midPdu || this.inMessage() ? this.options.timeouts.dimseMs : this.options.timeouts.idleMs;
    if (ms <= 0) return;
    // Every received chunk re-arms: restarting the same timer is far cheaper than a new one per chunk.
    if (this.idle && this.idleMs === ms) {
      this.idle.refresh();
      return;
    }
    this.clearIdle();
    this.idleMs = ms;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (this.pausedBy.size > 0) return this.armIdle(); // we are the slow side, not the peer
      this.providerAbort(AbortReason.NotSpecified, `no data from the peer for ${ms} ms (${this.inMessage() ? "DIMSE" : "idle"} timeout)`);
    }, ms);
    this.idle.unref();
  }

  /** Set by the DIMSE layer while a message is partly received, so the shorter DIMSE timeout applies. */
  inMessage: () => boolean = () => false;

  /** Re-arm the timers after the DIMSE layer's state changed. */
  touch(): void {
    this.armIdle();
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  private clearTimers(): void {
    this.stopArtim();
    this.clearIdle();
  }

  describe(): string {
    return `${this.id} ${this.callingAE || "?"}->${this.calledAE || "?"} ${this.peerAddress} ${this.state}`;
  }

  static pduName = pduName;
}

function pduEventName(event: Event): string {
  const names: Partial<Record<Event, string>> = {
    Evt3: "A-ASSOCIATE-AC",
    Evt4: "A-ASSOCIATE-RJ",
    Evt10: "P-DATA-TF",
    Evt12: "A-RELEASE-RQ",
    Evt13: "A-RELEASE-RP",
    Evt19: "invalid PDU",
  };
  return names[event] ?? event;
}

export function describeReject(rj: Omit<AssociateRJ, "type">): string {
  const result = rj.result === 1 ? "rejected-permanent" : rj.result === 2 ? "rejected-transient" : `result ${rj.result}`;
  const reasons: Record<string, string> = {
    "1:1": "no reason given",
    "1:2": "application context name not supported",
    "1:3": "calling AE title not recognized",
    "1:7": "called AE title not recognized",
    "2:1": "no reason given (ACSE)",
    "2:2": "protocol version not supported",
    "3:1": "temporary congestion",
    "3:2": "local limit exceeded",
  };
  return `${result}, source ${rj.source}, reason ${rj.reason} (${reasons[`${rj.source}:${rj.reason}`] ?? "unknown"})`;
}

// The DICOM server: listener, acceptor policy, per-association DIMSE routing to the services, the router with
// its rules generation (hot-reloaded), storage, catalog and the forwarding outbox.
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { Catalog } from "./catalog/catalog.js";
import { catalogFileOf, parseConfig } from "./config/load.js";
import type { Config, ConfigInput } from "./config/schema.js";
import { CommandField, NO_DATA_SET } from "./dimse/command.js";
import { DimseLink } from "./dimse/dimse-link.js";
import type { IncomingMessage } from "./dimse/message.js";
import { Status } from "./dimse/status.js";
import { isStorageSopClass, sopClass, VERIFICATION_SOP_CLASS } from "./dicom/sop-classes.js";
import { defaultTransferSyntaxPreference } from "./dicom/transfer-syntax.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "./dicom/uid.js";
import { conduitError, errorMessage } from "./errors.js";
import { associationLogger, createLogger } from "./log/logger.js";
import { Listener } from "./net/listener.js";
import { Reloader } from "./reload/watcher.js";
import { buildGeneration, type BuildResult, type Generation } from "./router/generation.js";
import { Router } from "./router/router.js";
import { Outbox } from "./outbox/outbox.js";
import { formatDiagnostic } from "./rules/index.js";
import { handleEcho } from "./services/c-echo.js";
import { handleStore } from "./services/c-store.js";
import type { AssociationInfo, ServerParts, ServiceContext } from "./services/context.js";
import { reconcileStorage } from "./store/reconcile.js";
import { StorageArea } from "./store/storage-area.js";
import { Association, describeReject, type AssociationOptions } from "./ul/association.js";
import { checkAssociationRequest, negotiate, reject, type AcceptorPolicy, type NegotiationResult } from "./ul/negotiation.js";
import { RejectReason, RejectResult, RejectSource, type AssociateRQ } from "./ul/pdu.js";
import { decideAssociationByRules, runSimpleEvent } from "./services/association-rules.js";

export interface ServerOptions {
  config?: Config | ConfigInput;
  logger?: Logger;
  /** The config file, watched for hot reload together with the rules folder. */
  configFile?: string;
  /** Command-line overrides re-applied on every reload of the config file. */
  overrides?: Record<string, unknown>;
}

/** The acceptor policy a generation's config asks for (AE titles, SOP classes, transfer syntaxes, PDU size). */
export function acceptorPolicy(config: Config): AcceptorPolicy {
  const acceptUnknown = config.network.acceptUnknownStorageClasses;
  return {
    aeTitles: [config.aeTitle, ...config.aliases],
    checkCalledAE: config.checkCalledAE,
    allowedCallingAEs: config.checkCallingAE ? Object.keys(config.peers) : null,
    supports: (uid) => uid === VERIFICATION_SOP_CLASS || isStorageSopClass(uid) || (acceptUnknown && !sopClass(uid)),
    transferSyntaxPreference: config.network.transferSyntaxes.length ? config.network.transferSyntaxes : defaultTransferSyntaxPreference(),
    maxPduReceive: config.network.maxPduReceive,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
}

export class Server {
  readonly config: Config;
  readonly log: Logger;
  readonly storage: StorageArea;
  readonly catalog: Catalog;
  readonly router: Router;
  readonly outbox: Outbox;
  private readonly listener: Listener;
  private readonly associations = new Map<Association, DimseLink | null>();
  private address_: { host: string; port: number } | null = null;
  private closing: Promise<void> | null = null;
  private reloader?: Reloader;

  private constructor(config: Config, log: Logger, generation: Generation, storage: StorageArea, catalog: Catalog) {
    this.config = config;
    this.log = log;
    this.storage = storage;
    this.catalog = catalog;
    this.router = new Router(generation, this.catalog, this.storage, log);
    this.outbox = new Outbox(this.catalog.db, () => this.router.generation.config, log.child({ part: "outbox" }));
    this.router.queue = this.outbox;
    this.listener = new Listener(config.limits, (socket) => this.onConnection(socket));
  }

  /** Validates config and rules, opens storage and catalog, reconciles after an unclean stop, and listens. */
  static async start(options: ServerOptions = {}): Promise<Server> {
    const config = parseConfig(options.config ?? {});
    const log = options.logger ?? createLogger({ level: config.log.level });
    const storage = new StorageArea(config.storage);
    // The catalog opens first: plugins of the first generation keep their key-value data in it.
    const catalog = Catalog.open(catalogFileOf(config));
    const abandon = async () => {
      catalog.close();
      await storage.close();
    };
    let built: BuildResult;
    try {
      built = await buildGeneration(config, 1, { log, db: catalog.db });
    } catch (err) {
      await abandon();
      throw err;
    }
    for (const d of built.diagnostics) log.warn({ file: d.file, line: d.line }, formatDiagnostic(d));
    if (!built.generation) {
      await abandon();
      const text = built.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic).join("\n");
      throw conduitError("RULES_INVALID", `\n${text}`, { diagnostics: built.diagnostics });
    }
    const server = new Server(config, log, built.generation, storage, catalog);
    try {
      const previous = server.catalog.lastRun();
      const summary = await reconcileStorage(server.parts(), previous);
      if (summary.indexed || summary.removedRows || summary.recovered || summary.discarded) {
        log.warn(summary, "storage reconciled with the catalog after an unclean stop");
      }
      server.catalog.markRunning();
      server.router.studyStable.start();
      server.outbox.start();
      server.address_ = await server.listener.listen(config.host, config.port);
    } catch (err) {
      server.router.stop();
      await server.outbox.stop(0);
      server.catalog.close();
      throw err;
    }
    if (config.watch) {
      server.reloader = new Reloader(server.router, log, { configFile: options.configFile, overrides: options.overrides });
      server.reloader.start();
    }
    log.info(
      { ae: config.aeTitle, host: server.address_.host, port: server.address_.port, root: server.storage.root, rules: built.generation.rules.size },
      "Conduit listening",
    );
    return server;
  }

  get port(): number {
    return this.address_?.port ?? 0;
  }

  get host(): string {
    return this.address_?.host ?? this.config.host;
  }

  get generation(): Generation {
    return this.router.generation;
  }

  /** Rebuilds the generation from the rules folder (and config file) now; true if it was swapped in. */
  reload(): Promise<boolean> {
    this.reloader ??= new Reloader(this.router, this.log, {});
    return this.reloader.reload();
  }

  parts(): ServerParts {
    return { config: this.config, storage: this.storage, catalog: this.catalog, log: this.log, router: this.router };
  }

  private associationOptions(): AssociationOptions {
    const l = this.config.limits;
    return {
      maxPduReceive: this.config.network.maxPduReceive,
      maxPduSend: this.config.network.maxPduSend,
      timeouts: { artimMs: l.artimTimeout * 1000, idleMs: l.idleTimeout * 1000, dimseMs: l.dimseTimeout * 1000 },
    };
  }

  private onConnection(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    let log = this.log;
    let release: (() => void) | undefined;
    // The association keeps the generation current when it arrived (DESIGN.md section 6).
    const generation = this.router.acquire();
    let info: AssociationInfo | undefined;
    const assoc = Association.accept(socket, this.associationOptions(), {
      associate: (rq) => {
        log = associationLogger(this.log, { assoc: assoc.id, callingAE: rq.callingAE, calledAE: rq.calledAE, peer: assoc.peerAddress });
        info = { id: assoc.id, callingAE: rq.callingAE, calledAE: rq.calledAE, address: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
        const decision = this.decideAssociation(rq, generation, info, log);
        if ("accept" in decision) {
          const slot = this.listener.connections.claim(rq.callingAE);
          if ("refused" in slot) {
            log.warn({ reason: slot.refused }, "association rejected: local limit exceeded");
            return reject(RejectSource.ServiceProviderPresentation, RejectReason.LocalLimitExceeded, RejectResult.Transient);
          }
          release = slot.release;
        }
        return decision;
      },
      established: () => this.onEstablished(assoc, generation, info!, log),
      data() {},
      releaseRequested() {},
      abort: (a) => log.warn({ origin: a.origin, reason: a.message }, "association aborted"),
      closed: () => {
        release?.();
        this.associations.delete(assoc);
        if (info && assoc.ac) runSimpleEvent(this.router, generation, "release", info, log);
        this.router.release(generation);
      },
    });
    this.associations.set(assoc, null);
  }

  private decideAssociation(rq: AssociateRQ, generation: Generation, info: AssociationInfo, log: Logger): NegotiationResult {
    const policy = acceptorPolicy(generation.config);
    const refused = checkAssociationRequest(rq, policy);
    if (refused && "reject" in refused) {
      log.warn({ reason: describeReject(refused.reject) }, "association rejected");
      return refused;
    }
    const byRules = decideAssociationByRules(this.router, generation, info, policy, log);
    if ("reject" in byRules) return byRules;
    const ac = negotiate(rq, byRules.policy);
    const accepted = ac.presentationContexts.filter((c) => c.result === 0).length;
    log.info({ contexts: rq.presentationContexts.length, accepted, generation: generation.id }, "association accepted");
    return { accept: ac };
  }

  private onEstablished(assoc: Association, generation: Generation, info: AssociationInfo, log: Logger): void {
    const ctx: ServiceContext = { ...this.parts(), association: info, generation, log };
    const link = new DimseLink(assoc, { request: (msg, l) => this.route(ctx, msg, l) });
    if (this.associations.has(assoc)) this.associations.set(assoc, link);
  }

  private route(ctx: ServiceContext, msg: IncomingMessage, link: DimseLink) {
    switch (msg.command.CommandField) {
      case CommandField.C_ECHO_RQ:
        runSimpleEvent(this.router, ctx.generation, "echo", ctx.association, ctx.log);
        handleEcho(msg, link);
        return undefined;
      case CommandField.C_STORE_RQ:
        return handleStore(ctx, msg, link);
      default: {
        // PS3.7 C.4.2: an operation this SCP does not offer on this context.
        ctx.log.warn({ command: msg.command.CommandField }, "unsupported DIMSE operation");
        const rsp = {
          CommandField: msg.command.CommandField | 0x8000,
          AffectedSOPClassUID: msg.command.AffectedSOPClassUID ?? msg.context.abstractSyntax,
          MessageIDBeingRespondedTo: msg.command.MessageID ?? 0,
          CommandDataSetType: NO_DATA_SET,
          Status: Status.UnrecognizedOperation,
        };
        void link.track(link.send(msg.context.id, rsp)).catch(() => {});
        return undefined;
      }
    }
  }

  /** Graceful stop: refuse new connections, let running transfers finish (bounded), then close the catalog. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await this.reloader?.stop();
    await this.listener.stopAccepting();
    // Associations between messages are aborted at once; running transfers get the grace period to finish.
    const deadline = Date.now() + this.config.limits.shutdownGrace * 1000;
    for (;;) {
      for (const [a, link] of this.associations) {
        if (!link?.busy || Date.now() >= deadline) {
          if (link?.busy) this.log.warn({ assoc: a.id }, "aborting a running transfer at shutdown");
          a.abort("server shutting down");
          this.associations.delete(a);
        }
      }
      if (this.associations.size === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of this.listener.connections.all()) s.destroy();
    this.router.stop();
    await this.outbox.stop(Math.max(0, Math.min(10_000, deadline - Date.now())));
    try {
      this.catalog.markCleanStop();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, "cannot record clean stop");
    }
    this.catalog.close();
    await this.storage.close();
    this.log.info("Conduit stopped");
  }
}

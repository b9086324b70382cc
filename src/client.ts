// The SCU side: open an association, then C-ECHO and C-STORE (files streamed from disk) over it.
import { emptyUserInformation } from "./ul/a-associate.js";
import { Association, type AssociationOptions } from "./ul/association.js";
import { DICOM_APPLICATION_CONTEXT } from "./ul/negotiation.js";
import { PduType, type AssociateRQ, type PresentationContextRQ, type RoleSelection } from "./ul/pdu.js";
import { CommandField, DATA_SET_PRESENT, NO_DATA_SET, Priority, type CommandSet } from "./dimse/command.js";
import { DimseLink, type MessageHandler } from "./dimse/dimse-link.js";
import type { DataSink, OutgoingData } from "./dimse/message.js";
import { statusCategory } from "./dimse/status.js";
import { VERIFICATION_SOP_CLASS } from "./dicom/sop-classes.js";
import { readFileMeta, type FileMeta } from "./dicom/part10.js";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "./dicom/uid.js";
import { conduitError, type ConduitError } from "./errors.js";
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from "./dicom/transfer-syntax.js";

export interface ClientOptions {
  host: string;
  port: number;
  /** Our AE title (DCMTK -aet). */
  callingAE?: string;
  /** The peer's AE title (DCMTK -aec). */
  calledAE?: string;
  maxPduReceive?: number;
  maxPduSend?: number;
  /** Seconds. */
  connectTimeout?: number;
  artimTimeout?: number;
  /** Seconds to wait for each DIMSE response. */
  dimseTimeout?: number;
}

export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
  /** Role selection (PS3.7 D.3.3.4), e.g. SCP role for storage on C-GET. */
  scuRole?: boolean;
  scpRole?: boolean;
}

export interface DimseResult {
  status: number;
  command: CommandSet;
}

const DEFAULTS = { callingAE: "CONDUIT", calledAE: "ANY-SCP", maxPduReceive: 262144, maxPduSend: 262144 };

/** Builds an A-ASSOCIATE-RQ proposing the given contexts with odd IDs 1, 3, 5, ... (PS3.8 9.3.2.2). */
export function buildAssociateRQ(opts: ClientOptions, contexts: readonly ProposedContext[]): AssociateRQ {
  if (contexts.length === 0 || contexts.length > 128) {
    throw conduitError("UL_NO_PRESENTATION_CONTEXT", `${contexts.length} presentation contexts proposed, expected 1-128`);
  }
  const pcs: PresentationContextRQ[] = contexts.map((c, i) => ({
    id: 2 * i + 1,
    abstractSyntax: c.abstractSyntax,
    transferSyntaxes: c.transferSyntaxes,
  }));
  const ui = emptyUserInformation();
  ui.maxLength = opts.maxPduReceive ?? DEFAULTS.maxPduReceive;
  ui.implementationClassUid = IMPLEMENTATION_CLASS_UID;
  ui.implementationVersionName = IMPLEMENTATION_VERSION_NAME;
  const roles = new Map<string, RoleSelection>();
  for (const c of contexts) {
    if (c.scuRole !== undefined || c.scpRole !== undefined) {
      roles.set(c.abstractSyntax, { sopClassUid: c.abstractSyntax, scuRole: c.scuRole ?? true, scpRole: c.scpRole ?? false });
    }
  }
  ui.roleSelections = [...roles.values()];
  return {
    type: PduType.AssociateRQ,
    protocolVersion: 1,
    calledAE: opts.calledAE ?? DEFAULTS.calledAE,
    callingAE: opts.callingAE ?? DEFAULTS.callingAE,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: pcs,
    userInfo: ui,
  };
}

export class ClientAssociation {
  readonly link: DimseLink;

  constructor(
    readonly association: Association,
    private readonly dimseTimeoutMs: number,
    handler?: MessageHandler,
  ) {
    this.link = new DimseLink(association, handler ?? { request: () => undefined });
  }

  /** Sends a request and resolves with its final response; pending responses go to onPending. */
  request(
    contextId: number,
    command: CommandSet,
    data?: OutgoingData,
    onPending?: (cmd: CommandSet) => DataSink | undefined,
    onFinalData?: () => DataSink | undefined,
  ): Promise<DimseResult> {
    return new Promise<DimseResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (this.dimseTimeoutMs <= 0) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          this.association.abort("DIMSE timeout");
          reject(conduitError("DIMSE_TIMEOUT", `no response within ${this.dimseTimeoutMs} ms`));
        }, this.dimseTimeoutMs);
      };
      const done = () => timer && clearTimeout(timer);
      this.link
        .request(
          contextId,
          command,
          {
            response: (cmd) => {
              arm();
              return statusCategory(cmd.Status ?? 0) === "pending" ? onPending?.(cmd) : onFinalData?.();
            },
            final: (cmd) => {
              done();
              resolve({ status: cmd.Status ?? 0, command: cmd });
            },
            failed: (err: ConduitError) => {
              done();
              reject(err);
            },
          },
          data,
        )
        .then(arm, (err) => {
          done();
          reject(err);
        });
    });
  }

  /** C-ECHO (PS3.7 9.1.5). */
  async echo(): Promise<DimseResult> {
    const ctx = this.link.findContext(VERIFICATION_SOP_CLASS);
    if (!ctx) throw conduitError("UL_NO_PRESENTATION_CONTEXT", "the peer did not accept the Verification SOP Class");
    return this.request(ctx.id, {
      CommandField: CommandField.C_ECHO_RQ,
      AffectedSOPClassUID: VERIFICATION_SOP_CLASS,
      CommandDataSetType: NO_DATA_SET,
    });
  }

  /** C-STORE of a Part-10 file, its data set streamed from disk in the file's own transfer syntax. */
  async storeFile(path: string, meta?: FileMeta, extra: Partial<CommandSet> = {}): Promise<DimseResult> {
    const m = meta ?? (await readFileMeta(path));
    const ctx = this.link.findContext(m.mediaStorageSopClassUid, [m.transferSyntaxUid]);
    if (!ctx) {
      throw conduitError(
        "UL_NO_PRESENTATION_CONTEXT",
        `no accepted presentation context for ${m.mediaStorageSopClassUid} in ${m.transferSyntaxUid} (file ${path})`,
      );
    }
    return this.request(
      ctx.id,
      {
        CommandField: CommandField.C_STORE_RQ,
        AffectedSOPClassUID: m.mediaStorageSopClassUid,
        AffectedSOPInstanceUID: m.mediaStorageSopInstanceUid,
        Priority: Priority.Medium,
        CommandDataSetType: DATA_SET_PRESENT,
        ...extra,
      },
      { path, start: m.datasetOffset },
    );
  }

  release(): Promise<void> {
    return this.association.release();
  }

  abort(): void {
    this.association.abort();
  }
}

export class Client {
  /** Opens an association proposing the given contexts. */
  static async associate(opts: ClientOptions, contexts: readonly ProposedContext[], handler?: MessageHandler): Promise<ClientAssociation> {
    const rq = buildAssociateRQ(opts, contexts);
    const options: AssociationOptions & { connectTimeoutMs: number } = {
      maxPduReceive: opts.maxPduReceive ?? DEFAULTS.maxPduReceive,
      maxPduSend: opts.maxPduSend ?? DEFAULTS.maxPduSend,
      timeouts: { artimMs: (opts.artimTimeout ?? 30) * 1000, idleMs: 0, dimseMs: (opts.dimseTimeout ?? 60) * 1000 },
      connectTimeoutMs: (opts.connectTimeout ?? 15) * 1000,
    };
    const assoc = await Association.request(opts.host, opts.port, rq, options);
    return new ClientAssociation(assoc, (opts.dimseTimeout ?? 60) * 1000, handler);
  }

  /** One C-ECHO on a fresh association, then release. */
  static async echo(opts: ClientOptions): Promise<DimseResult> {
    const a = await Client.associate(opts, [
      { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN] },
    ]);
    try {
      return await a.echo();
    } finally {
      await a.release().catch(() => a.abort());
    }
  }
}

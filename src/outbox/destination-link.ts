// One association to a forwarding destination, reused for consecutive objects (PS3.7 9.1.1: many C-STOREs may
// share an association). Contexts are proposed as DCMTK's storescu does: for each SOP class the file's own transfer
// syntax, and for uncompressed files also the other uncompressed ones, so that a peer accepting only one of them
// still gets the object (re-encoded by transcode.ts). Compressed data is never decompressed.
import { Client, type ClientAssociation, type DimseResult, type ProposedContext } from "../client.js";
import type { Config, PeerConfig } from "../config/schema.js";
import { CommandField, DATA_SET_PRESENT, Priority } from "../dimse/command.js";
import type { FileMeta } from "../dicom/part10.js";
import { sopClassName } from "../dicom/sop-classes.js";
import { canTranscode, transcodeFile } from "../dicom/transcode.js";
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  isUncompressed,
  transferSyntax,
} from "../dicom/transfer-syntax.js";

/** A failure retrying cannot fix (no usable presentation context, unreadable file): the job goes dead at once. */
export class PermanentFailure extends Error {}

/** What the peer answered, and the syntax the object was re-encoded in when its own was not accepted. */
export interface SendResult extends DimseResult {
  transcodedTo?: string;
}

// Order of preference for the uncompressed fallbacks (PS3.5 10: explicit little endian first, like storescu).
const UNCOMPRESSED = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN];
// PS3.8 9.3.2.2: at most 128 presentation contexts (odd IDs 1-255) in one A-ASSOCIATE-RQ.
const MAX_CONTEXTS = 128;

/** "JPEGLosslessSV1 (1.2.840.10008.1.2.4.70)" */
export function syntaxLabel(uid: string): string {
  const ts = transferSyntax(uid);
  return ts ? `${ts.keyword} (${uid})` : uid;
}

/** Contexts for one file: its own syntax; for uncompressed files a second context with the other uncompressed ones. */
export function contextsFor(sopClassUid: string, transferSyntaxUid: string): ProposedContext[] {
  const own: ProposedContext = { abstractSyntax: sopClassUid, transferSyntaxes: [transferSyntaxUid] };
  if (!isUncompressed(transferSyntaxUid)) return [own];
  return [own, { abstractSyntax: sopClassUid, transferSyntaxes: UNCOMPRESSED.filter((t) => t !== transferSyntaxUid) }];
}

const key = (c: ProposedContext): string => `${c.abstractSyntax}|${c.transferSyntaxes.join(",")}`;

export class DestinationLink {
  private assoc?: ClientAssociation;
  /** Contexts of the open association (and of the next one: what this link has needed so far). */
  private proposed = new Map<string, ProposedContext>();
  private peerKey = "";

  constructor(readonly destination: string) {}

  get isOpen(): boolean {
    return this.assoc?.association.established ?? false;
  }

  /** Sends one stored object; opens or reopens the association when needed. Throws on network failures. */
  async send(path: string, meta: FileMeta, config: Config): Promise<SendResult> {
    const sop = meta.mediaStorageSopClassUid;
    const ts = meta.transferSyntaxUid;
    const assoc = await this.association(contextsFor(sop, ts), config);
    if (assoc.link.findContext(sop, [ts])) return assoc.storeFile(path, meta);
    const ctx = assoc.link.findContext(sop, UNCOMPRESSED.filter((t) => canTranscode(ts, t)));
    if (!ctx) {
      throw new PermanentFailure(
        `${this.destination} accepted no presentation context for ${sopClassName(sop)} in ${syntaxLabel(ts)}` +
          (transferSyntax(ts)?.encapsulated ? "; Conduit does not decompress" : ""),
      );
    }
    const data = await transcodeFile(path, ctx.transferSyntax);
    const result = await assoc.request(
      ctx.id,
      {
        CommandField: CommandField.C_STORE_RQ,
        AffectedSOPClassUID: sop,
        AffectedSOPInstanceUID: meta.mediaStorageSopInstanceUid,
        Priority: Priority.Medium,
        CommandDataSetType: DATA_SET_PRESENT,
      },
      data,
    );
    return { ...result, transcodedTo: ctx.transferSyntax };
  }

  /** Releases the association (A-RELEASE, PS3.8 7.2), aborting when the release fails. */
  async close(): Promise<void> {
    const a = this.assoc;
    this.assoc = undefined;
    if (a) await a.release().catch(() => a.abort());
  }

  /** Aborts at once (A-ABORT, PS3.8 7.3): used when a stop's grace period is over. */
  abort(): void {
    const a = this.assoc;
    this.assoc = undefined;
    a?.abort();
  }

  /** The open association when it proposed `wanted` to the current peer address; else a new one. */
  private async association(wanted: readonly ProposedContext[], config: Config): Promise<ClientAssociation> {
    const peer: PeerConfig | undefined = config.peers[this.destination];
    if (!peer) throw new PermanentFailure(`unknown destination AE "${this.destination}": not in the config's peers`);
    const callingAE = peer.callingAE ?? config.aeTitle;
    const peerKey = `${peer.host}:${peer.port}:${callingAE}`;
    // The peer may have closed an idle association (its own timeout), or the config may have moved it.
    if (this.assoc && (!this.assoc.association.established || peerKey !== this.peerKey)) await this.close();
    if (peerKey !== this.peerKey) this.proposed.clear();
    if (this.assoc && wanted.every((c) => this.proposed.has(key(c)))) return this.assoc;
    // A new SOP class or syntax: reopen proposing everything needed so far, newest kept when over the limit.
    await this.close();
    for (const c of wanted) {
      this.proposed.delete(key(c));
      this.proposed.set(key(c), c);
    }
    while (this.proposed.size > MAX_CONTEXTS) this.proposed.delete(this.proposed.keys().next().value!);
    this.peerKey = peerKey;
    this.assoc = await Client.associate(
      {
        host: peer.host,
        port: peer.port,
        callingAE,
        calledAE: this.destination,
        connectTimeout: config.limits.connectTimeout,
        artimTimeout: config.limits.artimTimeout,
        dimseTimeout: config.limits.dimseTimeout,
        maxPduReceive: config.network.maxPduReceive,
      },
      [...this.proposed.values()],
    );
    return this.assoc;
  }
}

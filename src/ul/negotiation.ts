// Acceptor-side negotiation (PS3.8 9.3.3, PS3.7 Annex D): AE checks, presentation contexts, roles, user identity.
import { emptyUserInformation } from "./a-associate.js";
import {
  PduType,
  PresentationResult,
  RejectReason,
  RejectResult,
  RejectSource,
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  type PresentationContextAC,
  type RoleSelection,
} from "./pdu.js";

export const DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

export interface AcceptorPolicy {
  /** Our AE titles; with checkCalledAE, a request to any other is rejected (reason 7). */
  aeTitles: readonly string[];
  checkCalledAE: boolean;
  /** When set, only these calling AE titles are accepted (reason 3). */
  allowedCallingAEs: readonly string[] | null;
  /** Abstract syntaxes we serve as SCP (and, for storage, as SCU on C-GET). */
  supports(abstractSyntax: string): boolean;
  /** Transfer syntaxes we accept, most preferred first; a context is accepted in the first one proposed. */
  transferSyntaxPreference: readonly string[];
  /** Optional narrowing per abstract syntax (rules can restrict contexts). */
  allowTransferSyntax?(abstractSyntax: string, transferSyntax: string): boolean;
  maxPduReceive: number;
  implementationClassUid: string;
  implementationVersionName: string;
}

export type NegotiationResult = { accept: AssociateAC } | { reject: Omit<AssociateRJ, "type"> };

export function reject(source: number, reason: number, result: number = RejectResult.Permanent): NegotiationResult {
  return { reject: { result, source, reason } };
}

/** PS3.8 9.3.3 / 7.1.1: the checks an acceptor makes before looking at presentation contexts. */
export function checkAssociationRequest(rq: AssociateRQ, policy: AcceptorPolicy): NegotiationResult | null {
  if ((rq.protocolVersion & 0x0001) === 0) {
    return reject(RejectSource.ServiceProviderACSE, RejectReason.ProtocolVersionNotSupported);
  }
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return reject(RejectSource.ServiceUser, RejectReason.ApplicationContextNotSupported);
  }
  if (policy.checkCalledAE && !policy.aeTitles.includes(rq.calledAE)) {
    return reject(RejectSource.ServiceUser, RejectReason.CalledAETitleNotRecognized);
  }
  if (policy.allowedCallingAEs && !policy.allowedCallingAEs.includes(rq.callingAE)) {
    return reject(RejectSource.ServiceUser, RejectReason.CallingAETitleNotRecognized);
  }
  return null;
}

/** Builds the A-ASSOCIATE-AC for an acceptable request. */
export function negotiate(rq: AssociateRQ, policy: AcceptorPolicy): AssociateAC {
  const contexts: PresentationContextAC[] = rq.presentationContexts.map((pc) => {
    if (!policy.supports(pc.abstractSyntax)) {
      return { id: pc.id, result: PresentationResult.AbstractSyntaxNotSupported, transferSyntax: "" };
    }
    const proposed = new Set(pc.transferSyntaxes);
    const ts = policy.transferSyntaxPreference.find(
      (t) => proposed.has(t) && (policy.allowTransferSyntax?.(pc.abstractSyntax, t) ?? true),
    );
    if (!ts) return { id: pc.id, result: PresentationResult.TransferSyntaxesNotSupported, transferSyntax: "" };
    return { id: pc.id, result: PresentationResult.Acceptance, transferSyntax: ts };
  });

  const ui = emptyUserInformation();
  ui.maxLength = policy.maxPduReceive;
  ui.implementationClassUid = policy.implementationClassUid;
  ui.implementationVersionName = policy.implementationVersionName;
  // PS3.7 D.3.3.3: we perform one operation at a time.
  if (rq.userInfo.asyncOps) ui.asyncOps = { invoked: 1, performed: 1 };
  ui.roleSelections = answerRoles(rq.userInfo.roleSelections, policy);
  // PS3.7 D.3.3.7: identity is accepted; a positive response carries an empty server response for types 1 and 2.
  const id = rq.userInfo.userIdentityRQ;
  if (id?.positiveResponseRequested) ui.userIdentityAC = Buffer.alloc(0);

  return {
    type: PduType.AssociateAC,
    protocolVersion: 1,
    calledAE: rq.calledAE,
    callingAE: rq.callingAE,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: contexts,
    userInfo: ui,
  };
}

/** PS3.7 D.3.3.4: grant each proposed role for SOP classes we support; answer only what was proposed. */
function answerRoles(proposed: readonly RoleSelection[], policy: AcceptorPolicy): RoleSelection[] {
  return proposed
    .filter((r) => policy.supports(r.sopClassUid))
    .map((r) => ({ sopClassUid: r.sopClassUid, scuRole: r.scuRole, scpRole: r.scpRole }));
}

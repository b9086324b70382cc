// PDU types and fixed codes of the DICOM upper layer protocol (PS3.8 section 9.3).

export const PduType = {
  AssociateRQ: 0x01,
  AssociateAC: 0x02,
  AssociateRJ: 0x03,
  PDataTF: 0x04,
  ReleaseRQ: 0x05,
  ReleaseRP: 0x06,
  Abort: 0x07,
} as const;
export type PduTypeCode = (typeof PduType)[keyof typeof PduType];

export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRQ: 0x20,
  PresentationContextAC: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUID: 0x52,
  AsynchronousOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRQ: 0x58,
  UserIdentityAC: 0x59,
} as const;

/** Presentation context result/reason (PS3.8 9.3.3.2). */
export const PresentationResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;
export type PresentationResultCode = (typeof PresentationResult)[keyof typeof PresentationResult];

/** A-ASSOCIATE-RJ fields (PS3.8 9.3.4). */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = { ServiceUser: 1, ServiceProviderACSE: 2, ServiceProviderPresentation: 3 } as const;
export const RejectReason = {
  // source 1, service user
  NoReasonGiven: 1,
  ApplicationContextNotSupported: 2,
  CallingAETitleNotRecognized: 3,
  CalledAETitleNotRecognized: 7,
  // source 2, ACSE: 1 no reason, 2 protocol version not supported
  ProtocolVersionNotSupported: 2,
  // source 3, presentation: 1 temporary congestion, 2 local limit exceeded
  TemporaryCongestion: 1,
  LocalLimitExceeded: 2,
} as const;

/** A-ABORT fields (PS3.8 9.3.8). */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export interface PresentationContextRQ {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface PresentationContextAC {
  id: number;
  result: PresentationResultCode;
  /** Accepted transfer syntax; meaningless unless result is acceptance. */
  transferSyntax: string;
}

export interface RoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

export interface ExtendedNegotiation {
  sopClassUid: string;
  info: Buffer;
}

export interface CommonExtendedNegotiation {
  sopClassUid: string;
  serviceClassUid: string;
  relatedGeneralSopClasses: string[];
}

export interface UserIdentityRQ {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  type: number;
  positiveResponseRequested: boolean;
  primaryField: Buffer;
  secondaryField: Buffer;
}

export interface UserInformation {
  /** 0 means no limit (PS3.8 D.1). */
  maxLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
  asyncOps?: { invoked: number; performed: number };
  roleSelections: RoleSelection[];
  extendedNegotiations: ExtendedNegotiation[];
  commonExtendedNegotiations: CommonExtendedNegotiation[];
  userIdentityRQ?: UserIdentityRQ;
  userIdentityAC?: Buffer;
}

export interface AssociateRQ {
  type: typeof PduType.AssociateRQ;
  protocolVersion: number;
  calledAE: string;
  callingAE: string;
  applicationContext: string;
  presentationContexts: PresentationContextRQ[];
  userInfo: UserInformation;
}

export interface AssociateAC {
  type: typeof PduType.AssociateAC;
  protocolVersion: number;
  calledAE: string;
  callingAE: string;
  applicationContext: string;
  presentationContexts: PresentationContextAC[];
  userInfo: UserInformation;
}

export interface AssociateRJ {
  type: typeof PduType.AssociateRJ;
  result: number;
  source: number;
  reason: number;
}

export interface PresentationDataValue {
  contextId: number;
  command: boolean;
  last: boolean;
  data: Buffer;
}

export interface PDataTF {
  type: typeof PduType.PDataTF;
  pdvs: PresentationDataValue[];
}

export interface ReleaseRQ {
  type: typeof PduType.ReleaseRQ;
}
export interface ReleaseRP {
  type: typeof PduType.ReleaseRP;
}
export interface Abort {
  type: typeof PduType.Abort;
  source: number;
  reason: number;
}

export type Pdu = AssociateRQ | AssociateAC | AssociateRJ | PDataTF | ReleaseRQ | ReleaseRP | Abort;

export const PDU_HEADER_LENGTH = 6;
export const PDV_HEADER_LENGTH = 6;

export function pduName(type: number): string {
  switch (type) {
    case PduType.AssociateRQ:
      return "A-ASSOCIATE-RQ";
    case PduType.AssociateAC:
      return "A-ASSOCIATE-AC";
    case PduType.AssociateRJ:
      return "A-ASSOCIATE-RJ";
    case PduType.PDataTF:
      return "P-DATA-TF";
    case PduType.ReleaseRQ:
      return "A-RELEASE-RQ";
    case PduType.ReleaseRP:
      return "A-RELEASE-RP";
    case PduType.Abort:
      return "A-ABORT";
    default:
      return `unknown PDU 0x${type.toString(16).padStart(2, "0")}`;
  }
}

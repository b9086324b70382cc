// Minimal typings for the parts of dcmjs Conduit uses (dcmjs ships none).
declare module "dcmjs" {
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
    _rawValue?: unknown;
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  export class ReadBufferStream {
    constructor(buffer: ArrayBuffer, littleEndian?: boolean, options?: { start?: number | null; stop?: number | null; noCopy?: boolean });
    offset: number;
    size: number;
  }
  export class WriteBufferStream {
    constructor(defaultSize?: number, littleEndian?: boolean);
    size: number;
    getBuffer(start?: number, end?: number): ArrayBuffer;
  }
  export class DicomDict {
    constructor(meta: DcmjsDict);
    meta: DcmjsDict;
    dict: DcmjsDict;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  export interface ReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    stopOnGreaterTag?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }
  export const DicomMessage: {
    readFile(buffer: ArrayBuffer, options?: ReadOptions): DicomDict;
    _read(stream: ReadBufferStream, syntax: string, options?: ReadOptions): DcmjsDict;
    write(dict: DcmjsDict, stream: WriteBufferStream, syntax: string, writeOptions?: Record<string, unknown>): number;
  };
  export const DicomMetaDictionary: {
    nameMap: Record<string, { tag: string; vr: string; vm: string; name: string }>;
    naturalizeDataset(dict: DcmjsDict): Record<string, unknown>;
    denaturalizeDataset(ds: Record<string, unknown>): DcmjsDict;
  };
  export const data: {
    ReadBufferStream: typeof ReadBufferStream;
    WriteBufferStream: typeof WriteBufferStream;
    DicomDict: typeof DicomDict;
    DicomMessage: typeof DicomMessage;
    DicomMetaDictionary: typeof DicomMetaDictionary;
  };
  export const log: { setLevel(level: string): void; getLogger?(name: string): { setLevel(level: string): void } };
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}

// DIMSE messages as the services see them: a command set plus a data set that streams to a sink (PS3.7 6.3.1).
import type { CommandSet } from "./command.js";

export interface PresentationContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

export interface IncomingMessage {
  context: PresentationContext;
  command: CommandSet;
}

/** Flow control handed to a sink: pause stops reading the socket until resume. */
export interface Flow {
  pause(): void;
  resume(): void;
}

/** Receives a data set as it arrives, fragment by fragment; never the whole object at once. */
export interface DataSink {
  write(chunk: Buffer): void;
  /** All fragments received (the last PDV had its last-fragment bit). */
  end(): void;
  /** The association failed before the data set was complete. */
  abort(reason: Error): void;
}

/** A sink that keeps the data set in memory: for identifiers and other small data sets only. */
export class BufferSink implements DataSink {
  private parts: Buffer[] = [];
  private size = 0;
  readonly done: Promise<Buffer>;
  private resolve!: (b: Buffer) => void;
  private reject!: (e: Error) => void;

  constructor(private readonly limit = 64 * 1024 * 1024) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => {});
  }

  write(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.reject(new Error(`data set exceeds ${this.limit} bytes`));
      return;
    }
    this.parts.push(Buffer.from(chunk));
  }

  end(): void {
    this.resolve(Buffer.concat(this.parts, this.size));
  }

  abort(reason: Error): void {
    this.reject(reason);
  }
}

/** What a data set to send is made of: bytes in memory, or a byte range of a file streamed from disk. */
export type OutgoingData = Buffer | { path: string; start: number; end?: number };

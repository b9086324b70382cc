// Types of the API a Conduit plugin sees, for editor completion. A plugin is a plain script (not an ES module:
// no import/export), run in strict mode in its own QuickJS context; its only way out is the global `conduit`.
// Start a plugin with:
//   // @ts-check
//   /// <reference path="./conduit-plugin.d.ts" />

declare namespace Conduit {
  type EventName = "associate" | "echo" | "store" | "stored" | "study-stable" | "find" | "worklist" | "move" | "get" | "commit" | "release";

  /** Events whose input carries a data set (the object, or the query identifier). */
  type DataSetEvent = "store" | "stored" | "study-stable" | "find" | "worklist" | "move" | "get";

  /** The association an event belongs to. */
  interface Origin {
    callingAE: string;
    calledAE: string;
    peerAddress: string;
    associationId: string;
  }

  /**
   * An attribute's value: one value as a string or number, several as a list, null when present but empty;
   * a sequence is a list of items. Person names are their alphabetic form ("Doe^John").
   */
  type AttributeValue = string | number | null | Array<string | number> | AttributeSet[];

  /**
   * Attributes by DICOM keyword (e.g. PatientID). Private, binary (OB/OW/UN...) and very long (> 10000
   * characters) values are left out; sequences are kept 4 levels deep, 256 items each.
   */
  interface AttributeSet {
    [keyword: string]: AttributeValue | undefined;
  }

  interface Input<E extends EventName = EventName> {
    event: E;
    origin: Origin;
    /** Time of the event, ms since 1970 (the same as conduit.now() during the call). */
    now: number;
    sopClassUID?: string;
    sopInstanceUID?: string;
    studyInstanceUID?: string;
    /** The object's Modality, or the one a query asks for (Modality, ModalitiesInStudy or the scheduled step's). */
    modality?: string;
    /**
     * Present for events with a data set; only the listed ones when the handler's options name `attributes`.
     * An ordinary object to the handler, filled on demand: a value is fetched when first read (and the names a
     * handler reads are passed in with its next events), the whole set when it is enumerated or changed. Kept
     * past the call (in a global, say), it still holds its own event's values.
     */
    attributes?: AttributeSet;
    /** move/get: every requested object is in the local catalog (asked of the host when read). */
    local?: boolean;
  }

  /** A string, a "/regex/flags" string or RegExp, or a list of them (any may match). */
  type Match = string | RegExp | Array<string | RegExp>;

  /** Checked by the host before the handler runs: a handler whose options do not match is not called. */
  interface Options {
    callingAE?: Match;
    calledAE?: Match;
    /** SOP Class UID or keyword such as "CTImageStorage" (store, stored, study-stable). */
    sopClass?: Match;
    modality?: Match;
    /** Only these attributes are passed in (others read as undefined); every attribute is available by default. */
    attributes?: string[];
  }

  /** A source of answers or objects: the local catalog, a peer AE title, a SQL view or a plugin backend. */
  type Source = "local" | string | { view: string } | { plugin: string };

  /** A value to set: text (backslash separates values), number, null (empty), a list, or an explicit VR. */
  type SetValue = string | number | null | Array<string | number> | { vr: string; value: string | number | null | Array<string | number> };

  interface Common {
    /** Lines for the log (after the event). */
    log?: string | string[];
    /** No later rule or plugin handler runs for this event. */
    stop?: boolean;
  }

  interface Coerce {
    /** Keyword, "(gggg,eeee)", '(gggg,"creator",ee)' or "Seq[0].Keyword" → value. */
    set?: Record<string, SetValue>;
    remove?: string | string[];
  }

  /** A DIMSE failure: status (default 0x0124 refused: not authorized) and an error comment (64 characters). */
  type DimseReject = true | { status?: number; message?: string };

  interface AssociateDecision extends Common {
    accept?: boolean;
    /** true, a PS3.8 reason ("calling-ae-not-recognized", "called-ae-not-recognized", "no-reason-given", ...). */
    reject?: true | string | { reason?: string; transient?: boolean };
    restrict?: { sopClasses?: string[]; transferSyntaxes?: string[] };
  }

  interface StoreDecision extends Common, Coerce {
    reject?: DimseReject;
    newUids?: boolean;
    /** Relative path under the storage root; as a list, each item is one name, made safe like a rule placeholder. */
    storeAt?: string | Array<string | number>;
    discard?: boolean;
    /** Peer AE titles from the config. */
    forward?: string | string[];
    /** Command names from the config. */
    run?: string | string[];
  }

  interface AfterDecision extends Common {
    forward?: string | string[];
    run?: string | string[];
  }

  interface QueryDecision extends Common, Coerce {
    reject?: DimseReject;
    answerFrom?: Source;
  }

  interface RetrieveDecision extends Common, Coerce {
    reject?: DimseReject;
    retrieveFrom?: Source;
    /** move only: send to this AE instead of the requested destination. */
    destination?: string;
  }

  interface CommitDecision extends Common {
    report?: { mode: "same" | "new" | "next"; delayMs?: number; waitForForwards?: boolean };
  }

  interface Decisions {
    associate: AssociateDecision;
    echo: Common;
    store: StoreDecision;
    stored: AfterDecision;
    "study-stable": AfterDecision;
    find: QueryDecision;
    worklist: QueryDecision;
    move: RetrieveDecision;
    get: Omit<RetrieveDecision, "destination">;
    commit: CommitDecision;
    release: Common & { run?: string | string[] };
  }

  /**
   * Return a decision, or nothing (null/undefined) to leave the event as it is. Handlers are synchronous. A decision
   * is read as data, as JSON.stringify writes it (undefined properties left out, non-finite numbers null, dates as
   * ISO text), except that a toJSON method a class instance inherits is not called.
   */
  type Handler<E extends EventName> = (input: Input<E>) => Decisions[E] | null | undefined | void;

  interface BackendInput {
    event: "find" | "worklist";
    origin: Origin;
    now: number;
    /** The query identifier: keys with a value to match, null for keys to return. */
    query: AttributeSet;
  }

  type Level = "trace" | "debug" | "info" | "warn" | "error";

  interface Api {
    /** Registers a handler (only while the plugin loads). */
    on<E extends EventName>(event: E, handler: Handler<E>): void;
    on<E extends EventName>(event: E, options: E extends DataSetEvent ? Options : Omit<Options, "sopClass" | "modality" | "attributes">, handler: Handler<E>): void;
    /** Answers find or worklist queries when a rule or decision says answer from { plugin: "<file name>" }. */
    answer(kind: "find" | "worklist", handler: (input: BackendInput) => AttributeSet[] | null | undefined): void;
    /** A line in Conduit's log, tagged with the plugin's name. */
    log(level: Level, ...parts: unknown[]): void;
    /** A CSV table in the plugin's folder: `column` (default: the second) of the first row whose first column is `key`. */
    lookup(table: string, key: string, column?: string): string | undefined;
    /** Every row of a CSV table in the plugin's folder, as objects keyed by the header row. */
    table(file: string): Array<Record<string, string>>;
    /** A small store kept in the catalog, per plugin: JSON values, keys up to 256 characters. */
    kv: {
      get(key: string): unknown;
      set(key: string, value: unknown): void;
      delete(key: string): boolean;
    };
    /** The event's time during a call (ms since 1970), else the current time. */
    now(): number;
  }
}

declare const conduit: Conduit.Api;

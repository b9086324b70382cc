// The one configuration schema: types, defaults and validation come from here (zod, strict objects).
import { z } from "zod";

/** PS3.5 6.2 AE: 1-16 characters of the default repertoire, no backslash or control characters, not all spaces. */
export const aeTitle = z
  .string()
  .min(1)
  .max(16)
  .regex(/^[\x20-\x5b\x5d-\x7e]*$/, "AE titles use printable ASCII without backslash")
  .refine((s) => s.trim().length > 0, "AE title is blank")
  .transform((s) => s.trim());

const seconds = z.number().nonnegative();
const port = z.number().int().min(0).max(65535);

export const ServiceName = z.enum(["echo", "store", "find", "move", "get", "commit", "worklist"]);

export const PeerSchema = z.strictObject({
  host: z.string().min(1),
  port: port.refine((p) => p > 0, "port must be 1-65535"),
  /** What this peer may ask of us (DCMTK AETable-like access rights). */
  allow: z.array(ServiceName).default(["echo", "store", "find", "move", "get", "commit", "worklist"]),
  /** Forwarding: associations opened to this peer at the same time. */
  concurrency: z.number().int().min(1).max(16).default(2),
  /** Our calling AE title towards this peer (default: aeTitle). */
  callingAE: aeTitle.optional(),
});

export const LayoutSchema = z.enum(["default", "flat", "tree"]);

export const StorageSchema = z.strictObject({
  /** Root of stored files; relative paths are taken from the config file's folder (the working directory without one). */
  root: z.string().min(1).default("./data"),
  /** default: {PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm; flat: all in root; tree: see below. */
  layout: LayoutSchema.default("default"),
  /** DcmStoreService-style folder tree (layout "tree"): master folder by patient, then optional study and series levels. */
  tree: z
    .strictObject({
      by: z.enum(["PatientID", "PatientName"]).default("PatientID"),
      study: z.boolean().default(true),
      series: z.boolean().default(true),
    })
    .prefault({}),
  /** Radiation dose SR objects go under their own root when set (DcmStoreService RDSR-DIR). */
  dose: z
    .strictObject({
      root: z.string().min(1).nullable().default(null),
      layout: z.enum(["flat", "same"]).default("flat"),
    })
    .prefault({}),
  /** fsync: data fsync'd before rename (default, safe); strict: also fsync the directory; none: page cache only. */
  durability: z.enum(["fsync", "strict", "none"]).default("fsync"),
  /** A second object with a stored SOP Instance UID: keep the first and answer success, overwrite it, or refuse it. */
  duplicates: z.enum(["keep-first", "overwrite", "reject"]).default("keep-first"),
  /** Refuse objects (0xA700) when free space on the storage volume would fall below this many bytes. */
  minFreeBytes: z.number().int().nonnegative().default(512 * 1024 * 1024),
  /** Refuse objects (0xA700) when the stored total would exceed this many bytes; null = no quota. */
  quotaBytes: z.number().int().positive().nullable().default(null),
});

export const CatalogSchema = z.strictObject({
  /** SQLite file; null = conduit.db under the storage root. */
  path: z.string().min(1).nullable().default(null),
});

export const NetworkSchema = z.strictObject({
  /** Largest P-DATA-TF we accept (PS3.8 D.1 Maximum Length Received). */
  maxPduReceive: z.number().int().min(4096).max(0x7fffffff).default(262144),
  /** Cap on the PDUs we send (0 = whatever the peer accepts). */
  maxPduSend: z.number().int().min(0).default(262144),
  /** Accepted transfer syntaxes, UIDs or keywords, most preferred first; empty = all standard ones. */
  transferSyntaxes: z.array(z.string().min(1)).default([]),
  /** Also accept storage SOP classes not in the standard list (private or newer ones). */
  acceptUnknownStorageClasses: z.boolean().default(false),
});

export const LimitsSchema = z.strictObject({
  maxAssociations: z.number().int().positive().default(64),
  maxAssociationsPerCallingAE: z.number().int().positive().default(16),
  /** ARTIM timer, seconds (PS3.8 9.1.5). */
  artimTimeout: seconds.default(30),
  /** Seconds without any PDU between messages before aborting. */
  idleTimeout: seconds.default(300),
  /** Seconds without any PDU while a message is partly received. */
  dimseTimeout: seconds.default(60),
  /** Seconds to open a TCP connection as SCU. */
  connectTimeout: seconds.default(15),
  /** Seconds a graceful stop waits for running transfers. */
  shutdownGrace: seconds.default(30),
});

export const OutboxSchema = z.strictObject({
  /** Attempts before a forward job goes to the dead-letter state. */
  maxAttempts: z.number().int().min(1).default(10),
  /** Retry back-off: first delay and cap, seconds (doubling in between). */
  retryDelay: seconds.default(5),
  maxRetryDelay: seconds.default(3600),
  /** Seconds an idle forwarding association stays open for the next object. */
  idleClose: seconds.default(5),
});

export const CommandSchema = z.strictObject({
  /** Program and arguments; "{path}" is replaced by the stored file's (or study folder's) path as one argument. */
  argv: z.array(z.string().min(1)).min(1),
  /** Seconds before the command is killed. */
  timeout: seconds.default(300),
  cwd: z.string().min(1).optional(),
});

export const RulesSchema = z.strictObject({
  /** Folder of *.rules files, read in name order. */
  dir: z.string().min(1).default("./rules"),
  /** Default quiet period of "on study-stable", seconds. */
  studyStable: seconds.default(60),
});

export const PluginsSchema = z.strictObject({
  /** Folder of *.js plugins, loaded in name order. */
  dir: z.string().min(1).default("./plugins"),
  /** Memory cap per plugin context, MiB. */
  memoryMB: z.number().min(1).max(1024).default(16),
  /** Stack cap per plugin, KiB. */
  stackKB: z.number().min(16).max(8192).default(256),
  /** Time budget of one handler call, milliseconds (interrupted beyond it). */
  timeoutMs: z.number().min(1).max(60000).default(100),
  /** Consecutive failures after which a plugin is disabled until it is reloaded. */
  maxFailures: z.number().int().min(1).default(5),
  /** Who decides first: rules then plugins (default), or plugins then rules. */
  order: z.enum(["rules-first", "plugins-first"]).default("rules-first"),
});

export const ConfigSchema = z.strictObject({
  /** Our AE title; also the calling AE title of associations we open. */
  aeTitle: aeTitle.default("CONDUIT"),
  /** Further called AE titles we answer to. */
  aliases: z.array(aeTitle).default([]),
  /** Reject (reason 7) associations addressed to another called AE title. */
  checkCalledAE: z.boolean().default(false),
  /** Reject (reason 3) calling AE titles missing from the peers table. */
  checkCallingAE: z.boolean().default(false),
  host: z.string().min(1).default("0.0.0.0"),
  port: port.default(11112),
  network: NetworkSchema.prefault({}),
  limits: LimitsSchema.prefault({}),
  storage: StorageSchema.prefault({}),
  catalog: CatalogSchema.prefault({}),
  /** Known peers by AE title (DCMTK HostTable/AETable). */
  peers: z.record(aeTitle, PeerSchema).default({}),
  rules: RulesSchema.prefault({}),
  plugins: PluginsSchema.prefault({}),
  /** Commands rules may run, by name (never a shell: argv is passed as is). */
  commands: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "command names are letters, digits, _ and -"), CommandSchema).default({}),
  outbox: OutboxSchema.prefault({}),
  /** Watch the config file, rules and plugins and reload them while running. */
  watch: z.boolean().default(true),
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type PeerConfig = z.infer<typeof PeerSchema>;
export type ServiceNameT = z.infer<typeof ServiceName>;
export type CommandConfig = z.infer<typeof CommandSchema>;

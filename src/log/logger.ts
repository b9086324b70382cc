// Structured logging (pino): one root logger, one child per association.
import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Write to this file descriptor (default: stdout). */
  destination?: number | string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.CONDUIT_LOG_LEVEL as LevelWithSilent | undefined) ?? "info";
  const dest = pino.destination({ dest: options.destination ?? 1, sync: false });
  return pino({ level, base: { name: "conduit" }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that discards everything, for library users who pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

export interface AssociationLogFields {
  assoc: string;
  callingAE?: string;
  calledAE?: string;
  peer?: string;
}

/** Child logger carrying the association's identity on every line. */
export function associationLogger(parent: Logger, fields: AssociationLogFields): Logger {
  return parent.child(fields);
}

// What every service handler gets: the association it serves and the server's shared parts.
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { Catalog } from "../catalog/catalog.js";
import type { StorageArea } from "../store/storage-area.js";
import type { Generation } from "../router/generation.js";
import type { Router } from "../router/router.js";

/** The origin of an event (DESIGN.md section 3): rules use it to avoid routing loops. */
export interface AssociationInfo {
  id: string;
  callingAE: string;
  calledAE: string;
  /** Peer IP address. */
  address: string;
  port: number;
}

export interface ServerParts {
  /** The configuration the server started with (storage, listener); rules read generation.config. */
  config: Config;
  storage: StorageArea;
  catalog: Catalog;
  log: Logger;
  router: Router;
}

export interface ServiceContext extends ServerParts {
  association: AssociationInfo;
  /** The generation this association started with (DESIGN.md section 6). */
  generation: Generation;
  /** The association's child logger. */
  log: Logger;
}

// TCP listener: accepts connections, counts associations (total and per calling AE) and stops gracefully.
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { once } from "node:events";
import { conduitError, errorMessage } from "../errors.js";

export interface ListenerLimits {
  maxAssociations: number;
  maxAssociationsPerCallingAE: number;
}

/** Bookkeeping of live connections, so limits can be enforced when the calling AE becomes known. */
export class ConnectionTable {
  private readonly sockets = new Set<Socket>();
  private readonly perCalling = new Map<string, number>();

  constructor(private readonly limits: ListenerLimits) {}

  get size(): number {
    return this.sockets.size;
  }

  add(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  /** Claims a slot for an association from callingAE; returns why not, or a release function. */
  claim(callingAE: string): { release: () => void } | { refused: string } {
    if (this.sockets.size > this.limits.maxAssociations) {
      return { refused: `${this.sockets.size} connections open, limit is ${this.limits.maxAssociations}` };
    }
    const n = this.perCalling.get(callingAE) ?? 0;
    if (n >= this.limits.maxAssociationsPerCallingAE) {
      return { refused: `${n} associations from ${callingAE} already, limit is ${this.limits.maxAssociationsPerCallingAE}` };
    }
    this.perCalling.set(callingAE, n + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.perCalling.get(callingAE) ?? 1) - 1;
        if (left <= 0) this.perCalling.delete(callingAE);
        else this.perCalling.set(callingAE, left);
      },
    };
  }

  all(): Socket[] {
    return [...this.sockets];
  }
}

export class Listener {
  private readonly server: NetServer;
  readonly connections: ConnectionTable;

  constructor(limits: ListenerLimits, onConnection: (socket: Socket) => void) {
    this.connections = new ConnectionTable(limits);
    this.server = createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
      this.connections.add(socket);
      onConnection(socket);
    });
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    this.server.listen({ host, port, backlog: 511 });
    try {
      await Promise.race([
        once(this.server, "listening"),
        once(this.server, "error").then(([err]) => {
          throw err;
        }),
      ]);
    } catch (err) {
      throw conduitError("UL_CONNECTION_FAILED", `cannot listen on ${host}:${port}: ${errorMessage(err)}`, {}, err);
    }
    const addr = this.server.address();
    if (!addr || typeof addr === "string") return { host, port };
    return { host: addr.address, port: addr.port };
  }

  /** Stops accepting; existing connections carry on. */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// Running DCMTK command-line tools as test peers. Every DCMTK process gets TCP_NODELAY=1 (see shared/PEERS.md).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { registerCleanup } from "./tmp.js";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Kills the tool (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Environment for any DCMTK process: the caller's env, extras, and always TCP_NODELAY=1. */
export function dcmtkEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, TCP_NODELAY: "1" };
}

/** Resolves with a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("freePort: no port"))));
    });
  });
}

/** Runs a DCMTK tool (name on PATH or absolute path) to completion; never rejects on a non-zero exit. */
export function runTool(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(tool, args, { cwd: opts.cwd, env: dcmtkEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    proc.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function tryConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock: Socket = connect({ port, host });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** Polls until host:port accepts a TCP connection; rejects after timeoutMs (default 15 s) or when signal aborts. */
export async function waitForPort(
  port: number,
  host = "127.0.0.1",
  timeoutMs = 15_000,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (await tryConnect(port, host)) return;
    if (Date.now() > deadline) throw new Error(`port ${host}:${port} not accepting connections after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ServerProcess {
  port: number;
  proc: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (last 1 MB). */
  output(): string;
  /** Sends `signal` (default SIGTERM; SIGKILL after 5 s); resolves when the process has exited. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export interface SpawnedServer {
  proc: ChildProcess;
  /** Resolves when the process has exited (or failed to spawn). */
  exited: Promise<void>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  isRunning(): boolean;
}

/**
 * Spawns a long-running process (stdout and stderr kept for output()); runCleanups() stops it with cleanupSignal.
 * Any server still alive when the Node process exits is SIGKILLed. Exported for orthanc.ts.
 */
export function spawnServer(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
  cleanupSignal: NodeJS.Signals = "SIGTERM",
): SpawnedServer {
  const proc = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  const onData = (d: string): void => {
    out += d;
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  proc.stdout!.setEncoding("utf8").on("data", onData);
  proc.stderr!.setEncoding("utf8").on("data", onData);
  const exited = new Promise<void>((resolve) => {
    proc.once("close", () => {
      live.delete(proc);
      resolve();
    });
    proc.once("error", (err) => {
      onData(`spawn error: ${err.message}\n`);
      live.delete(proc);
      resolve();
    });
  });
  const isRunning = (): boolean => live.has(proc) && proc.exitCode === null && proc.signalCode === null;
  let stopping: Promise<void> | undefined;
  const stop = (signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    if (isRunning()) proc.kill(signal);
    stopping ??= (async () => {
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    })();
    return stopping;
  };
  const unregister = registerCleanup(() => stop(cleanupSignal));
  exited.then(unregister, unregister);
  return { proc, exited, output: () => out, stop, isRunning };
}

/**
 * Starts a DCMTK server tool (storescp, dcmqrscp, wlmscpfs, ...) whose args already name `port`, and waits until the
 * port accepts TCP connections. Rejects with the tool's output if it exits first.
 */
export async function startDcmtkServer(
  tool: string,
  args: readonly string[],
  port: number,
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const s = spawnServer(tool, args, dcmtkEnv(opts.env), opts.cwd);
  const ac = new AbortController();
  const died = s.exited.then(() => {
    ac.abort();
    throw new Error(`${tool} exited before listening on ${port} (args: ${args.join(" ")}):\n${s.output()}`);
  });
  const ready = waitForPort(port, "127.0.0.1", opts.timeoutMs ?? 15_000, ac.signal);
  ready.catch(() => undefined);
  try {
    await Promise.race([ready, died]);
  } catch (err) {
    ac.abort();
    await s.stop();
    throw err;
  }
  died.catch(() => undefined);
  return { port, proc: s.proc, output: s.output, stop: s.stop };
}

export interface StorescpOptions {
  /** Output directory (-od). */
  dir: string;
  /** AE title storescp answers as (-aet); default STORESCP. storescp accepts any called AE anyway. */
  aet?: string;
  /** Extra arguments, e.g. ["+B"], ["--fork"], ["-v"]; added after the defaults `-od dir +xa`. */
  args?: string[];
  env?: Record<string, string>;
}

export interface Storescp extends ServerProcess {
  aet: string;
}

/** Starts storescp on a free port (retries on a port race) writing received files to opts.dir. */
export async function startStorescp(opts: StorescpOptions): Promise<Storescp> {
  const aet = opts.aet ?? "STORESCP";
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = ["-od", opts.dir, "+xa", "-aet", aet, ...(opts.args ?? []), String(port)];
    try {
      const s = await startDcmtkServer("storescp", args, port, { env: opts.env });
      return { ...s, aet };
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}

/**
 * Port for peers a test names in a config but never contacts (validation, plugin decisions): nothing is bound to
 * it, and a test that does need a peer starts one on a free port instead.
 */
export const UNCONTACTED_PEER_PORT = 1;

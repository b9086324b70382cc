// A private Orthanc per test (see shared/PEERS.md): own config, storage, ports; never the system service.
import { writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { dcmtkEnv, freePort, spawnServer } from "./dcmtk.js";
import { tmpDir } from "./tmp.js";

export const ORTHANC_BIN = process.env.CONDUIT_ORTHANC_BIN ?? "/usr/sbin/Orthanc";

export interface OrthancOptions {
  /** Orthanc's own AE title; default ORTHANC. */
  aet?: string;
  /** DicomModalities: name -> [AE title, host, port], e.g. { conduit: ["CONDUIT", "127.0.0.1", 11112] }. */
  modalities?: Record<string, [string, string, number]>;
  /** Extra or overriding configuration keys. */
  config?: Record<string, unknown>;
  /** Pass --verbose to Orthanc (its log is available through output()). */
  verbose?: boolean;
  /** How long to wait for REST /system; default 30 s. */
  timeoutMs?: number;
}

export interface Orthanc {
  dicomPort: number;
  httpPort: number;
  aet: string;
  /** http://127.0.0.1:<httpPort> */
  url: string;
  /** The temp directory holding config, storage and index. */
  dir: string;
  /** fetch() against the REST API, e.g. rest("/statistics"). */
  rest(path: string, init?: RequestInit): Promise<Response>;
  /** rest() that throws on a non-2xx status and parses the JSON body. */
  restJson<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /** POST /instances with a Part-10 file; returns Orthanc's instance ID. */
  upload(file: string): Promise<string>;
  /** Orthanc's stdout/stderr so far. */
  output(): string;
  /**
   * Stops Orthanc and waits for exit (idempotent). A graceful SIGTERM stop takes about 3.5 s (HTTP and DICOM server
   * poll loops); stop("SIGKILL") is immediate and what runCleanups() uses, since the storage is thrown away anyway.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function orthancConfig(o: {
  dir: string;
  aet: string;
  httpPort: number;
  dicomPort: number;
  modalities: Record<string, [string, string, number]>;
  config?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    Name: `conduit-test-${o.dicomPort}`,
    StorageDirectory: join(o.dir, "storage"),
    IndexDirectory: join(o.dir, "index"),
    HttpPort: o.httpPort,
    DicomPort: o.dicomPort,
    DicomAet: o.aet,
    Plugins: [],
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    SaveJobs: false,
    DicomModalities: o.modalities,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    StorageCompression: false,
    LoadPrivateDictionary: false,
    HttpServerEnabled: true,
    DicomServerEnabled: true,
    HttpThreadsCount: 8,
    DicomThreadsCount: 4,
    ConcurrentJobs: 2,
    DeidentifyLogs: false,
    ExecuteLuaEnabled: false,
    RestApiWriteToFileSystemEnabled: false,
    HttpDescribeErrors: true,
    WebDavEnabled: false,
    ...o.config,
  };
}

async function waitForRest(url: string, timeoutMs: number, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`Orthanc exited during startup:\n${output()}`);
    try {
      const r = await fetch(`${url}/system`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) {
        await r.arrayBuffer();
        return;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`Orthanc REST not answering after ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a private Orthanc on free ports and waits until REST /system answers (retries a port race twice). */
export async function startOrthanc(opts: OrthancOptions = {}): Promise<Orthanc> {
  const aet = opts.aet ?? "ORTHANC";
  const dir = await tmpDir("orthanc");
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const httpPort = await freePort();
    let dicomPort = await freePort();
    while (dicomPort === httpPort) dicomPort = await freePort();
    const modalities = opts.modalities ?? {};
    const cfg = orthancConfig({ dir, aet, httpPort, dicomPort, modalities, config: opts.config });
    const cfgPath = join(dir, "orthanc.json");
    await writeFile(cfgPath, JSON.stringify(cfg, null, 2));
    const args = [...(opts.verbose ? ["--verbose"] : []), cfgPath];
    // Orthanc's DICOM layer is DCMTK: it needs TCP_NODELAY=1 as much as the DCMTK tools do.
    const s = spawnServer(ORTHANC_BIN, args, dcmtkEnv(), dir, "SIGKILL");
    const url = `http://127.0.0.1:${httpPort}`;
    try {
      await waitForRest(url, opts.timeoutMs ?? 30_000, () => !s.isRunning(), s.output);
    } catch (err) {
      lastErr = err;
      await s.stop("SIGKILL");
      continue;
    }
    const rest = (path: string, init?: RequestInit): Promise<Response> => fetch(`${url}${path}`, init);
    const restJson = async <T = unknown>(path: string, init?: RequestInit): Promise<T> => {
      const r = await rest(path, init);
      const text = await r.text();
      if (!r.ok) throw new Error(`Orthanc ${init?.method ?? "GET"} ${path}: ${r.status} ${text}`);
      return (text === "" ? undefined : JSON.parse(text)) as T;
    };
    const upload = async (file: string): Promise<string> => {
      const body = await readFile(file);
      const res = await restJson<{ ID: string }>("/instances", { method: "POST", body });
      return res.ID;
    };
    return { dicomPort, httpPort, aet, url, dir, rest, restJson, upload, output: s.output, stop: s.stop };
  }
  throw lastErr;
}

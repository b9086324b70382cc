// The `conduit` command line: start the server, and DCMTK-like SCU commands (echo, store).
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { loadConfig } from "../config/load.js";
import type { ConfigInput } from "../config/schema.js";
import { Client } from "../client.js";
import { statusName, statusCategory } from "../dimse/status.js";
import { errorMessage, isConduitError } from "../errors.js";
import { Server } from "../server.js";
import { describeResult, storeFiles } from "../services/c-store-scu.js";
import { ProgressBar } from "./progress.js";
import { addRulesCommands } from "./rules-commands.js";
import { addQueueCommand } from "./queue.js";

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be an integer 0-65535, got "${v}"`);
    return n;
  };
}

interface ScuFlags {
  aet: string;
  aec: string;
  timeout?: number;
  maxPdu?: number;
}

function scuOptions(cmd: Command): Command {
  return cmd
    .option("--aet <title>", "calling AE title (ours)", "CONDUIT")
    .option("--aec <title>", "called AE title (the peer's)", "ANY-SCP")
    .option("--timeout <seconds>", "connection and DIMSE timeout in seconds", Number)
    .option("--max-pdu <bytes>", "maximum PDU length we receive", Number);
}

function clientOptions(host: string, port: number, f: ScuFlags) {
  return {
    host,
    port,
    callingAE: f.aet,
    calledAE: f.aec,
    connectTimeout: f.timeout,
    dimseTimeout: f.timeout,
    artimTimeout: f.timeout,
    maxPduReceive: f.maxPdu,
  };
}

export async function run(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  const program = new Command("conduit")
    .description("DICOM server and router")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  let exitCode = 0;

  program
    .command("start")
    .description("start the DICOM server (embedded defaults: AE CONDUIT, 0.0.0.0:11112, data under ./data)")
    .option("-c, --config <file>", "JSON configuration file")
    .option("--host <host>", "address to listen on")
    .option("--port <port>", "TCP port to listen on", int("port"))
    .option("--ae <title>", "our AE title")
    .option("--data <dir>", "storage root (catalog conduit.db inside)")
    .action(async (o: { config?: string; host?: string; port?: number; ae?: string; data?: string }) => {
      const overrides: Partial<ConfigInput> = { host: o.host, port: o.port, aeTitle: o.ae };
      if (o.data) overrides.storage = { root: o.data };
      const config = loadConfig(o.config, overrides);
      const server = await Server.start({ config, configFile: o.config, overrides: overrides as Record<string, unknown> });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          server.log.info({ signal }, "stopping");
          void server.close().then(resolve, resolve);
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
    });

  scuOptions(
    program
      .command("echo")
      .description("send C-ECHO (like DCMTK echoscu)")
      .argument("<host>")
      .argument("<port>", "port", int("port"))
      .option("-r, --repeat <n>", "number of C-ECHOs", Number, 1),
  ).action(async (host: string, port: number, o: ScuFlags & { repeat: number }) => {
    for (let i = 0; i < o.repeat; i++) {
      const started = Date.now();
      const r = await Client.echo(clientOptions(host, port, o));
      out.write(`C-ECHO ${host}:${port} (${o.aec}): ${statusName(r.status)} in ${Date.now() - started} ms\n`);
      if (r.status !== 0) exitCode = 1;
    }
  });

  scuOptions(
    program
      .command("store")
      .description("send files or folders (recursively) with C-STORE (like DCMTK storescu +sd +r)")
      .argument("<host>")
      .argument("<port>", "port", int("port"))
      .argument("<paths...>", "DICOM files or folders")
      .option("-v, --verbose", "one line per file"),
  ).action(async (host: string, port: number, paths: string[], o: ScuFlags & { verbose?: boolean }) => {
    const startedAt = Date.now();
    let bar: ProgressBar | undefined;
    const summary = await storeFiles(clientOptions(host, port, o), paths, (p) => {
      bar ??= new ProgressBar(p.total, "C-STORE");
      bar.update(p.done, p.bytes, startedAt);
      const failed = p.last.status === undefined || statusCategory(p.last.status) === "failure";
      if (o.verbose || failed) (failed ? err : out).write(`${describeResult(p.last)}\n`);
    });
    for (const s of summary.skipped) err.write(`${s.path}: skipped: ${s.reason}\n`);
    const mb = summary.bytes / 1048576;
    const secs = Math.max(summary.seconds, 0.001);
    out.write(
      `${summary.sent} stored, ${summary.warnings} with warnings, ${summary.failed} failed, ${summary.skipped.length} skipped; ` +
        `${mb.toFixed(1)} MB in ${secs.toFixed(2)} s (${(summary.sent / secs).toFixed(1)} inst/s, ${(mb / secs).toFixed(1)} MB/s)\n`,
    );
    if (summary.failed > 0 || (summary.sent === 0 && summary.warnings === 0)) exitCode = 1;
  });

  addRulesCommands(program, { out, err, setExit: (c) => (exitCode = c) });
  addQueueCommand(program, { out, err, setExit: (c) => (exitCode = c) });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isConduitError(e)) err.write(`conduit: ${e.message}\n`);
    else err.write(`conduit: ${errorMessage(e)}\n`);
    return 1;
  }
  return exitCode;
}

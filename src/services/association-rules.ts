// Rules for association events: "associate" may reject with a PS3.8 reason or narrow what is accepted;
// "echo" and "release" may log and run commands.
import type { Logger } from "pino";
import type { EventName } from "../rules/ast.js";
import type { Generation } from "../router/generation.js";
import type { Router } from "../router/router.js";
import { RejectResult } from "../ul/pdu.js";
import type { AcceptorPolicy, NegotiationResult } from "../ul/negotiation.js";
import type { AssociationInfo } from "./context.js";

function origin(info: AssociationInfo) {
  return { callingAE: info.callingAE, calledAE: info.calledAE, address: info.address, associationId: info.id };
}

/** The associate rules' verdict: a rejection, or the acceptor policy they narrowed. */
export function decideAssociationByRules(
  router: Router,
  gen: Generation,
  info: AssociationInfo,
  policy: AcceptorPolicy,
  log: Logger,
): { reject: Extract<NegotiationResult, { reject: unknown }>["reject"] } | { policy: AcceptorPolicy } {
  if (!router.decides(gen, "associate")) return { policy };
  const d = router.decide(gen, "associate", { event: "associate", origin: origin(info), now: new Date() });
  for (const line of d.logs) log.info({ rule: "log" }, line);
  if (d.reject) {
    const rj = {
      result: d.reject.transient ? RejectResult.Transient : RejectResult.Permanent,
      source: d.reject.source ?? 1,
      reason: d.reject.reason ?? 1,
    };
    log.warn({ rules: d.matched.map((m) => `${m.file}:${m.line}`), ...rj }, "association rejected by rule");
    return { reject: rj };
  }
  const sop = d.restrict.sopClasses;
  const ts = d.restrict.transferSyntaxes;
  if (!sop && !ts) return { policy };
  return {
    policy: {
      ...policy,
      supports: (uid) => policy.supports(uid) && (!sop || sop.has(uid) || uid === "1.2.840.10008.1.1"),
      allowTransferSyntax: (abs, t) => (policy.allowTransferSyntax?.(abs, t) ?? true) && (!ts || ts.has(t)),
    },
  };
}

/** Events whose rules can only log and run commands. */
export function runSimpleEvent(router: Router, gen: Generation, event: EventName, info: AssociationInfo, log: Logger): void {
  if (!router.decides(gen, event)) return;
  const d = router.decide(gen, event, { event, origin: origin(info), now: new Date() });
  for (const line of d.logs) log.info({ rule: "log", event }, line);
  for (const name of d.runs) {
    const cmd = gen.config.commands[name];
    if (cmd) router.commands.run(name, cmd, "", `${event} ${info.callingAE}`);
  }
}

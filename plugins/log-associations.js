// @ts-check
/// <reference path="./conduit-plugin.d.ts" />
// A harmless example plugin: it only logs who connects and when they leave. It decides nothing, so Conduit
// behaves as without it. Copy it to start your own; see the README, section "Plugins".

conduit.on("associate", (input) => {
  const o = input.origin;
  conduit.log("info", `association ${o.associationId}: ${o.callingAE} (${o.peerAddress}) calls ${o.calledAE}`);
});

conduit.on("release", (input) => {
  conduit.log("info", `association ${input.origin.associationId} of ${input.origin.callingAE} released`);
});

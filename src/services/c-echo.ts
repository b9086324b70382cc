// Verification Service Class SCP (PS3.4 Annex A): a C-ECHO-RQ gets a C-ECHO-RSP with status success.
import { CommandField, NO_DATA_SET } from "../dimse/command.js";
import type { DimseLink } from "../dimse/dimse-link.js";
import type { IncomingMessage } from "../dimse/message.js";
import { Status } from "../dimse/status.js";

export function handleEcho(msg: IncomingMessage, link: DimseLink): void {
  void link.track(
    link.send(msg.context.id, {
      CommandField: CommandField.C_ECHO_RSP,
      AffectedSOPClassUID: msg.command.AffectedSOPClassUID ?? msg.context.abstractSyntax,
      MessageIDBeingRespondedTo: msg.command.MessageID ?? 0,
      CommandDataSetType: NO_DATA_SET,
      Status: Status.Success,
    }),
  ).catch(() => {});
}

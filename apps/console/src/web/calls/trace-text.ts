/**
 * The call's trace as a plain-text SIP dump for people (no pcap needed): each message with its
 * time, direction, leg, transport and address, then the message itself as it crossed the wire
 * (credentials redacted, SPEC §4), in `seq` order with the application-hook requests and
 * callback deliveries between them.
 */
import { bodyNote, messageText, offset, type CallModel } from "./model.js";
import { durationText, endReasonText } from "./parts.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function traceText(model: CallModel): string {
  const { call } = model;
  const out: string[] = [
    `Hookline SIP trace of call ${call.id}`,
    `From ${call.from} to ${call.to}; state ${call.state}; started ${iso(call.startedAt)}` +
      `; duration ${durationText(call)}; end ${endReasonText(call)}`,
    "",
    "Legs:",
    ...model.legs.map(
      (l) =>
        `  ${model.legNames.get(l.id)}  ${l.direction.padEnd(8)} ${l.transport} ${l.source ?? "-"}  ` +
        `${l.remoteUri}  Call-ID ${l.sipCallId}`,
    ),
    "",
  ];
  for (const e of model.entries) {
    const head = `#${e.seq}  ${iso(e.at)} (${offset(call, e.at)})`;
    if (e.kind === "sip") {
      const m = e.message;
      const peer = e.leg ? `${e.leg.transport} ${e.leg.source ?? e.leg.remoteUri}` : "-";
      const arrow = m.direction === "received" ? `received from ${peer}` : `sent to ${peer}`;
      out.push(`===== ${head}  ${arrow}  leg ${e.legName} =====`);
      out.push(messageText(m).replace(/\r\n/g, "\n").trimEnd());
      const note = bodyNote(m);
      if (note) out.push(`[${note}]`);
    } else if (e.kind === "hook") {
      const h = e.hook;
      out.push(`===== ${head}  application hook (${h.kind}) =====`);
      out.push(`POST ${h.url}  ${h.eventType}`);
      out.push(`answer: ${h.status ?? "none"} in ${h.latencyMs} ms${h.error ? `; error: ${h.error}` : ""}`);
      if (h.actions !== null) out.push(`actions: ${JSON.stringify(h.actions)}`);
    } else {
      const d = e.delivery;
      out.push(`===== ${head}  callback delivery ${d.id} =====`);
      out.push(
        `${d.eventType}: ${d.status} after ${d.attemptCount} attempt(s)` +
          `${d.lastStatusCode !== null ? `; last HTTP ${d.lastStatusCode}` : ""}` +
          `${d.lastError ? `; error: ${d.lastError}` : ""}`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

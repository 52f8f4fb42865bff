/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Small pieces both calls pages show: a call's state, times, duration and how it ended. */
import type { Call, CallState } from "@hookline/db";

const STATE_LABELS: Record<CallState, string> = {
  initiated: "Initiated",
  ringing: "Ringing",
  answered: "In progress",
  completed: "Completed",
  failed: "Failed",
};

export function StateBadge({ state }: { state: CallState }) {
  return <span class={`state state-${state}`}>{STATE_LABELS[state]}</span>;
}

/** `m:ss` of talk time (answer to end), or why there is none. */
export function durationText(call: Call): string {
  if (call.answeredAt === null) return call.state === "failed" ? "not answered" : "—";
  const end = call.endedAt;
  if (end === null) return "in progress";
  const s = Math.round((end - call.answeredAt) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function Duration({ call }: { call: Call }) {
  return <>{durationText(call)}</>;
}

/** The final SIP status and reason, e.g. "480 Temporarily Unavailable". */
export function endReasonText(call: Call): string {
  if (call.endStatus === null && call.endReason === null) return call.endedAt === null ? "—" : "ended";
  return [call.endStatus, call.endReason].filter((p) => p !== null).join(" ");
}

export function EndReason({ call }: { call: Call }) {
  return <>{endReasonText(call)}</>;
}

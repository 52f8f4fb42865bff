/**
 * What a call page shows, as plain data: the endpoints (a column each: the caller's leg,
 * Hookline, each callee's leg, then the tenant's application and callbacks) and the call's
 * timeline in `seq` order (SPEC §4: SIP messages, application-hook requests and the callback
 * deliveries they caused share one per-call counter). The ladder, the message list and the text
 * export are all drawn from this.
 */
import { listDeliveries } from "@hookline/callbacks";
import type { DeliveryRow } from "@hookline/callbacks";
import type { Call, CallHook, CallLeg, CallMessage, Store } from "@hookline/db";
import { REDACTED, CREDENTIAL_HEADERS } from "@hookline/sip-core";
import { callRecords } from "../../routes/call-queries.js";

export interface Column {
  key: string;
  label: string;
  /** Second line: transport and address, or what the column stands for. */
  detail: string;
}

export type TimelineEntry =
  | { kind: "sip"; seq: number; at: number; message: CallMessage; leg: CallLeg | undefined; legName: string }
  | { kind: "hook"; seq: number; at: number; hook: CallHook }
  | { kind: "delivery"; seq: number; at: number; delivery: DeliveryRow };

export interface CallModel {
  call: Call;
  legs: CallLeg[];
  columns: Column[];
  /** Leg id → its column key and short name ("A", "B", ...). */
  legNames: Map<string, string>;
  entries: TimelineEntry[];
  /** Highest `seq` shown: a live view asks for what comes after it. */
  lastSeq: number;
}

export const HOOKLINE = "hookline";
export const APP = "app";
export const CALLBACKS = "callbacks";

/** Deliveries shown per call; a call rarely causes more (one per event and callback). */
const MAX_DELIVERIES = 500;

export async function loadCallModel(store: Store, call: Call): Promise<CallModel> {
  const { legs, messages, hooks } = await callRecords(store, call.id);
  const deliveries = await listDeliveries(store, {
    accountId: call.accountId,
    callId: call.id,
    limit: MAX_DELIVERIES,
  });
  return buildModel(call, legs, messages, hooks, deliveries);
}

export function buildModel(
  call: Call,
  allLegs: CallLeg[],
  messages: CallMessage[],
  hooks: CallHook[],
  deliveries: DeliveryRow[],
): CallModel {
  // The caller's leg first ("A"), then the others as they were created.
  const legs = [...allLegs].sort(
    (x, y) => Number(x.direction !== "inbound") - Number(y.direction !== "inbound"),
  );
  const legNames = new Map<string, string>();
  legs.forEach((leg, i) => legNames.set(leg.id, String.fromCharCode(65 + (i % 26))));
  // The caller's leg(s) left of Hookline, the callees' right of it. A call the platform started
  // (SPEC §5) has no inbound leg: its first leg is the one it called first, drawn on the left.
  const inbound = legs.filter((l) => l.direction === "inbound");
  const left = inbound.length > 0 ? inbound : legs.slice(0, 1);
  const right = legs.filter((l) => !left.includes(l));
  const legColumn = (leg: CallLeg, role: string): Column => ({
    key: leg.id,
    label: `${role} (leg ${legNames.get(leg.id)})`,
    detail: `${leg.transport} ${leg.source ?? leg.remoteUri}`,
  });
  const columns: Column[] = [
    ...left.map((l) => legColumn(l, l.direction === "inbound" ? "Caller" : "Called first")),
    { key: HOOKLINE, label: "Hookline", detail: "B2BUA" },
    ...right.map((l) => legColumn(l, "Callee")),
  ];
  if (hooks.length > 0) columns.push({ key: APP, label: "Your application", detail: "application hook" });
  if (deliveries.length > 0) columns.push({ key: CALLBACKS, label: "Callbacks", detail: "deliveries" });

  const byId = new Map(legs.map((l) => [l.id, l]));
  const entries: TimelineEntry[] = [
    ...messages.map((m) => {
      const leg = m.legId === null ? undefined : byId.get(m.legId);
      return {
        kind: "sip" as const,
        seq: m.seq,
        at: m.at,
        message: m,
        leg,
        legName: leg ? (legNames.get(leg.id) ?? "?") : "-",
      };
    }),
    ...hooks.map((h) => ({ kind: "hook" as const, seq: h.seq, at: h.at, hook: h })),
    ...deliveries.map((d) => ({ kind: "delivery" as const, seq: d.seq ?? 0, at: d.createdAt, delivery: d })),
  ];
  // A delivery carries the seq of the event it sent: it comes right after that moment.
  const rank = { sip: 0, hook: 0, delivery: 1 } as const;
  entries.sort((x, y) => x.seq - y.seq || rank[x.kind] - rank[y.kind] || x.at - y.at);
  const lastSeq = Math.max(0, ...messages.map((m) => m.seq), ...hooks.map((h) => h.seq));
  return { call, legs, columns, legNames, entries, lastSeq };
}

/** The message's start line (RFC 3261 §7.1, §7.2). */
export function startLine(m: CallMessage): string {
  return m.method !== null
    ? `${m.method} ${m.requestUri ?? ""} SIP/2.0`
    : `SIP/2.0 ${m.status ?? 0} ${m.reason ?? ""}`.trimEnd();
}

/** What an arrow of the ladder reads: the method, or status and reason. */
export function arrowLabel(m: CallMessage): string {
  return m.method ?? `${m.status ?? 0} ${m.reason ?? ""}`.trimEnd();
}

const HEADER_NAMES: Record<string, string> = {
  "call-id": "Call-ID",
  cseq: "CSeq",
  "www-authenticate": "WWW-Authenticate",
  "mime-version": "MIME-Version",
};

/** A stored (lower-case) header name as RFC 3261 §20 spells it. */
export function headerName(key: string): string {
  return (
    HEADER_NAMES[key] ?? key.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
  );
}

/**
 * The whole message as SIP text, credentials redacted (SPEC §4). The trace was redacted when it
 * was recorded; redacting again here keeps a row written by anything else from showing one.
 */
export function messageText(m: CallMessage): string {
  const lines = [startLine(m)];
  for (const [key, value] of Object.entries(m.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      lines.push(`${headerName(key)}: ${CREDENTIAL_HEADERS.has(key) ? REDACTED : v}`);
    }
  }
  const body = m.body ?? "";
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** A note when the stored body is shorter than the message's (SPEC §4 keeps 16 KiB). */
export function bodyNote(m: CallMessage): string | null {
  if (m.bodySize === 0) return null;
  if (m.body === null) return `${m.bodySize}-byte body not recorded`;
  const kept = Buffer.byteLength(m.body);
  return kept < m.bodySize ? `body cut: first ${kept} of ${m.bodySize} bytes kept` : null;
}

/** Seconds since the call started, `+1.234s`; a challenge before the call reads `-0.012s`. */
export const offset = (call: Call, at: number) =>
  `${at < call.startedAt ? "-" : "+"}${(Math.abs(at - call.startedAt) / 1000).toFixed(3)}s`;

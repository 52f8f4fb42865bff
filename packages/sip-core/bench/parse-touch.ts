/**
 * What a parse benchmark counts as a "full parse": the message parsed from bytes, then every typed
 * value the gateway reads touched (so that parsing on first access cannot flatter the figure): top
 * Via (branch, rport, received), From and To (URI, tag), Call-ID, CSeq, Contact, Max-Forwards,
 * Content-Length, Content-Type, Route, Record-Route, Authorization and Proxy-Authorization.
 */
import {
  getAuthValues,
  getCallId,
  getContacts,
  getContentLength,
  getContentType,
  getCSeq,
  getFrom,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getTopVia,
  parseMessage,
} from "../src/index.js";

let sink = 0;

/** Parses `bytes` and reads the typed values listed above; throws when the message is rejected. */
export function parseAndTouch(bytes: Uint8Array): void {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(r.error.message);
  const m = r.message;
  const via = getTopVia(m);
  sink += (via?.branch?.length ?? 0) + (via?.received?.length ?? 0) + (via?.rport === undefined ? 0 : 1);
  sink += (getFrom(m)?.tag?.length ?? 0) + (getFrom(m)?.uri.length ?? 0);
  sink += (getTo(m)?.tag?.length ?? 0) + (getTo(m)?.uri.length ?? 0);
  sink += (getCSeq(m)?.seq ?? 0) + (getCallId(m)?.length ?? 0) + getContacts(m).length;
  sink += (getMaxForwards(m) ?? 0) + (getContentLength(m) ?? 0) + (getContentType(m)?.subtype.length ?? 0);
  sink += getRoutes(m).length + getRecordRoutes(m).length;
  sink += getAuthValues(m, "authorization").length + getAuthValues(m, "proxy-authorization").length;
}

/** Keeps the results observable so that the optimizer cannot drop the work. */
export function touchSink(): number {
  return sink;
}

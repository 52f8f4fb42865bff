/**
 * The header fields every request must carry (RFC 3261 §8.1.1): To, From, CSeq, Call-ID,
 * Max-Forwards and Via. The parser accepts a message without them (RFC 4475 §3.1.2.18 `insuf`
 * must parse); a UAS answers such a request 400 naming what is missing (§8.2.6, §21.4.1).
 *
 * Max-Forwards is not required here: RFC 3261 §16.6 step 3 has a proxy add it when it is
 * missing, and RFC 2543 elements omit it; an element that forwards treats it as 70.
 */
import { headerDisplayName } from "../headers/header-names.js";
import type { SipRequest } from "./types.js";

/** Checked in this order; Via first, since without it a response has no way back (§18.2.2). */
export const MANDATORY_REQUEST_HEADERS: readonly string[] = ["via", "from", "to", "call-id", "cseq"];

/** The display name of the first mandatory header `request` lacks (e.g. `Call-ID`), if any. */
export function missingMandatoryHeader(request: Pick<SipRequest, "headers">): string | undefined {
  for (const key of MANDATORY_REQUEST_HEADERS) {
    if (!request.headers.some((h) => h.key === key)) return headerDisplayName(key);
  }
  return undefined;
}

/**
 * Hookline's own conformance cases, written from RFC 4475 §3.1 (SIP torture tests) and RFC 5118
 * (IPv6 torture tests): each message is paired with the meaning a correct parser must find, or
 * with the error code it must return. (The byte-exact RFC archives are read separately, from
 * ../shared/conformance, when present.)
 */
import type { SipParseErrorCode } from "../message/errors.js";
import type { SipMessage } from "../message/types.js";

export interface ValidCase {
  readonly name: string;
  /** RFC and section the case comes from. */
  readonly source: string;
  readonly wire: string;
  readonly valid: true;
  /** What the parsed message must mean; each entry is compared with toEqual in the test. */
  readonly meaning: (m: SipMessage) => Record<string, unknown>;
  readonly expected: Record<string, unknown>;
}

export interface InvalidCase {
  readonly name: string;
  readonly source: string;
  readonly wire: string;
  readonly valid: false;
  readonly code: SipParseErrorCode;
}

export type ConformanceCase = ValidCase | InvalidCase;

/** CRLF-joined lines; `body` is appended after the empty line. */
export function wire(lines: readonly string[], body = ""): string {
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

export const SDP = [
  "v=0",
  "o=mhandley 29739 7272939 IN IP4 192.0.2.3",
  "s=-",
  "c=IN IP4 192.0.2.4",
  "t=0 0",
  "m=audio 49217 RTP/AVP 0 12",
  "m=video 3227 RTP/AVP 31",
  "a=rtpmap:31 LPC",
  "",
].join("\r\n");

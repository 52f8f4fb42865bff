/**
 * The start line of a message: Request-Line (RFC 3261 §7.1) or Status-Line (§7.2). The usual
 * line is read over the input bytes without intermediate strings ({@link usualStartLine}); any
 * other line, valid or not, goes through {@link parseStartLine} on the string, which gives the
 * verdict and the precise error.
 */
import { isToken, TOKEN } from "../headers/scan.js";
import { methodNameAt } from "../headers/values.js";
import { SipParseError } from "./errors.js";

export interface StartLine {
  kind: "request" | "response";
  method: string;
  uri: string;
  /** Where the Request-URI starts in the head. */
  uriStart: number;
  status: number;
  reason: string;
}

const VERSION_RE = /^SIP\/[0-9]+\.[0-9]+$/i;

function isSip20(v: string): boolean {
  return v === "SIP/2.0" || v.toUpperCase() === "SIP/2.0";
}

/** RFC 3261 §7.1 / §7.2: exactly one SP between elements (RFC 4475 §3.1.2.9, §3.1.2.10). */
export function parseStartLine(line: string): StartLine | SipParseError {
  if (line.length >= 4 && line.charCodeAt(0) === 0x53 && line.startsWith("SIP/")) {
    const sp = line.indexOf(" ");
    if (sp < 0) return new SipParseError("SIP_ERR_START_LINE", "Status-Line without status code");
    const version = line.slice(0, sp);
    if (!isSip20(version)) {
      return new SipParseError(
        VERSION_RE.test(version) ? "SIP_ERR_VERSION" : "SIP_ERR_START_LINE",
        `unsupported version ${version}`,
      );
    }
    const code = line.slice(sp + 1, sp + 4);
    const after = line.charCodeAt(sp + 4);
    if (!/^[1-6][0-9][0-9]$/.test(code) || !(Number.isNaN(after) || after === 0x20)) {
      return new SipParseError("SIP_ERR_START_LINE", "Status-Code is not three digits 100-699");
    }
    return {
      kind: "response",
      method: "",
      uri: "",
      uriStart: 0,
      status: Number(code),
      reason: line.slice(sp + 5),
    };
  }
  const sp1 = line.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0)
    return new SipParseError("SIP_ERR_START_LINE", "Request-Line needs Method SP Request-URI SP SIP-Version");
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) return new SipParseError("SIP_ERR_START_LINE", "Method is not a token");
  if (uri.length === 0)
    return new SipParseError("SIP_ERR_START_LINE", "more than one SP between Request-Line elements");
  if (!isSip20(version)) {
    if (VERSION_RE.test(version))
      return new SipParseError("SIP_ERR_VERSION", `unsupported version ${version}`);
    return new SipParseError(
      "SIP_ERR_START_LINE",
      "Request-Line does not end in SIP-Version (LWS in the Request-URI or after the version?)",
    );
  }
  return { kind: "request", method, uri, uriStart: sp1 + 1, status: 0, reason: "" };
}

/** ` SIP/2.0` as bytes: the usual end of a Request-Line. */
const SP_SIP20 = [0x20, 0x53, 0x49, 0x50, 0x2f, 0x32, 0x2e, 0x30];

/**
 * The start line `head[0, end)` when it is the usual one: `Method SP Request-URI SP SIP/2.0`
 * with a token method and a URI of visible characters, or `SIP/2.0 SP 3DIGIT [SP Reason]` with a
 * status 100-699 and no LF; undefined for anything else (then {@link parseStartLine} decides).
 * `b[o + i]` stands for `head.charCodeAt(i)` (see `headers/byte-scan.ts`). Same result as
 * `parseStartLine` wherever it answers; the property tests hold both to that.
 */
export function usualStartLine(head: string, b: Uint8Array, o: number, end: number): StartLine | undefined {
  if (b[o] === 0x53 && b[o + 1] === 0x49 && b[o + 2] === 0x50 && b[o + 3] === 0x2f) {
    // SIP/2.0 SP [1-6]DIGIT DIGIT ( SP / end )
    if (end < 11 || b[o + 4] !== 0x32 || b[o + 5] !== 0x2e || b[o + 6] !== 0x30 || b[o + 7] !== 0x20)
      return undefined;
    const d0 = (b[o + 8] as number) - 0x30;
    const d1 = (b[o + 9] as number) - 0x30;
    const d2 = (b[o + 10] as number) - 0x30;
    if (d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return undefined;
    if (end > 11 && b[o + 11] !== 0x20) return undefined;
    for (let k = 12; k < end; k++) if (b[o + k] === 0x0a) return undefined;
    return {
      kind: "response",
      method: "",
      uri: "",
      uriStart: 0,
      status: d0 * 100 + d1 * 10 + d2,
      reason: end > 12 ? head.slice(12, end) : "",
    };
  }
  let sp1 = 0;
  while (sp1 < end && TOKEN[b[o + sp1] as number] === 1) sp1++;
  const v = end - 8;
  if (sp1 === 0 || b[o + sp1] !== 0x20 || v <= sp1 + 1) return undefined;
  for (let k = 0; k < 8; k++) if (b[o + v + k] !== SP_SIP20[k]) return undefined;
  for (let k = sp1 + 1; k < v; k++) if ((b[o + k] as number) <= 0x20) return undefined;
  return {
    kind: "request",
    method: methodNameAt(head, b, o, 0, sp1),
    uri: head.slice(sp1 + 1, v),
    uriStart: sp1 + 1,
    status: 0,
    reason: "",
  };
}

/**
 * Parsing one SIP message from a datagram or WebSocket message (RFC 3261 §7, §18.3, RFC 7118).
 * Never throws; every scan is a forward pass bounded by {@link ParseLimits}.
 */
import { HeaderLine } from "../headers/header-line.js";
import { headerKey } from "../headers/header-names.js";
import {
  entryCount,
  entryKey,
  entryLength,
  entryUsual,
  lookupName,
  nameHashStep,
  usualNameAt,
} from "../headers/name-table.js";
import { TOKEN, trimWs } from "../headers/scan.js";
import { STRICT_PARSERS, STRICT_VALIDATORS } from "../headers/typed.js";
import type { Parser, Validator } from "../headers/typed.js";
import type { CSeq } from "../headers/values.js";
import { parseContentLength } from "../headers/values.js";
import { shadow, shadowOnce } from "../headers/byte-scan.js";
import { isPlainSipUriAt, parseUriAt } from "../uri/uri.js";
import { SipParseError, type PartialMessage, type SipParseErrorCode, type SipResult } from "./errors.js";
import { parseStartLine, usualStartLine, type StartLine } from "./start-line.js";
import { DEFAULT_LIMITS, type ParseOptions } from "./limits.js";
import type { SipHeader, SipMessage } from "./types.js";

export type ParseMessageResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

/**
 * The strict checks, numbered: the framing loop records each header's check by number (-1: none),
 * from the name-table entry it already found, so the checks need no lookup by key.
 */
const CHECK_KEYS: string[] = [...STRICT_PARSERS.keys()];
const CHECK_PARSERS: Parser[] = CHECK_KEYS.map((k) => STRICT_PARSERS.get(k) as Parser);
const CHECK_VALIDATORS: Array<Validator | undefined> = CHECK_KEYS.map((k) => STRICT_VALIDATORS.get(k));
/** Name-table entry → check number or -1. */
const ENTRY_CHECK = new Int8Array(entryCount());
for (let e = 0; e < ENTRY_CHECK.length; e++) ENTRY_CHECK[e] = CHECK_KEYS.indexOf(entryKey(e));
/** Name-table entry → 1 for the credentials, parsed on first access over the bytes they were sliced from. */
const ENTRY_KEEP = new Int8Array(entryCount());
for (let e = 0; e < ENTRY_KEEP.length; e++)
  ENTRY_KEEP[e] = entryKey(e) === "authorization" || entryKey(e) === "proxy-authorization" ? 1 : 0;
/** The check number of a canonical key (names outside the name table: none of them is checked, but ask). */
function checkOfKey(key: string): number {
  return CHECK_KEYS.indexOf(key);
}

function toBuffer(input: Uint8Array | string): Buffer {
  if (typeof input === "string") return Buffer.from(input, "utf8");
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function failure(
  code: SipParseErrorCode,
  message: string,
  header?: string,
  partial?: PartialMessage,
): ParseMessageResult {
  return { ok: false, error: new SipParseError(code, message, header, partial) };
}

/**
 * Parses one complete SIP message (a datagram or a WebSocket message, RFC 3261 §18.3, RFC 7118 §5).
 * Content-Length is honoured when present (a shorter body truncates the data, e.g. RFC 4475
 * §3.1.1.8 `dblreq`; a longer one is `SIP_ERR_CONTENT_LENGTH`); without it the body is the rest of
 * the data. The returned body is a view into the input bytes, not a copy.
 */
export function parseMessage(input: Uint8Array | string, options?: ParseOptions): ParseMessageResult {
  const maxSize = options?.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
  const maxHeaders = options?.maxHeaders ?? DEFAULT_LIMITS.maxHeaders;
  const maxLine = options?.maxLineLength ?? DEFAULT_LIMITS.maxLineLength;
  const strict = options?.strict ?? true;

  const inputLength = typeof input === "string" ? input.length : input.byteLength;
  if (inputLength > maxSize * 4 + 16) return failure("SIP_ERR_TOO_LARGE", `message over ${maxSize} bytes`);
  const buf = toBuffer(input);
  const len = buf.length;
  if (len > maxSize)
    return failure("SIP_ERR_TOO_LARGE", `message of ${len} bytes over the ${maxSize}-byte limit`);

  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let start = 0;
  while (start + 1 < len && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  if (start >= len) return failure("SIP_ERR_EMPTY", "empty message");
  const headEnd = buf.indexOf(CRLFCRLF, start);
  if (headEnd < 0) {
    // Still say what the start line was, for logging.
    return failure("SIP_ERR_HEADERS_UNTERMINATED", "no empty line after the header section (RFC 3261 §7)");
  }
  const head = buf.toString("utf8", start, headEnd);
  // Scanning reads bytes, slicing reads the string: `hb[ho + i]` stands for `head.charCodeAt(i)`
  // (typed-array loads are several times cheaper than charCodeAt). When every byte decoded to one
  // UTF-16 unit (ASCII, the usual case) the input bytes line up with the string; otherwise
  // (multi-byte UTF-8 in a display name or reason phrase) a copy is made with every non-ASCII
  // unit as 0x80, which no ASCII grammar rule accepts, exactly like the character it stands for.
  let hb: Uint8Array = buf;
  let ho = start;
  if (head.length !== headEnd - start) {
    hb = shadow(head);
    ho = 0;
  }

  // Start line.
  let lineEnd = head.indexOf("\r");
  if (lineEnd < 0) lineEnd = head.length;
  if (lineEnd > maxLine) return failure("SIP_ERR_TOO_LARGE", "start line too long");
  if (lineEnd < head.length && head.charCodeAt(lineEnd + 1) !== 10) {
    return failure("SIP_ERR_START_LINE", "bare CR or LF in the start line");
  }
  let sl = usualStartLine(head, hb, ho, lineEnd);
  if (sl === undefined) {
    const firstLine = head.slice(0, lineEnd);
    if (firstLine.indexOf("\n") >= 0) return failure("SIP_ERR_START_LINE", "bare CR or LF in the start line");
    const parsed = parseStartLine(firstLine);
    if (parsed instanceof SipParseError) return { ok: false, error: parsed };
    sl = parsed;
  }

  // Header lines, unfolding continuation lines (RFC 3261 §7.3.1). A line is finished when the next
  // one starts (or the section ends); in strict mode its typed value is parsed then, over the input
  // bytes, and cached on the line: the first failure is reported after the framing verdicts below.
  const headers: SipHeader[] = [];
  let firstError: SipParseError | undefined;
  let strictError: SipParseError | undefined;
  const method = sl.kind === "request" ? sl.method : undefined;
  let pendingName = "";
  let pendingKey = "";
  let pendingValue = "";
  // Where the pending value starts in `hb` (-1 once folding has joined lines: no longer a slice).
  let pendingOff = -1;
  let pendingCheck = -1;
  let pendingKeep = false;
  let hasPending = false;
  // The first Content-Length value and its parse, which the framing needs whatever the mode.
  let clValue: string | undefined;
  let cl: SipResult<number> | undefined;
  let clConflict = false;
  let pos = lineEnd + 2;
  const headLen = head.length;
  for (;;) {
    const atEnd = pos >= headLen;
    let nl = -1;
    let end = headLen;
    if (!atEnd) {
      nl = head.indexOf("\n", pos);
      end = nl < 0 ? headLen : nl - 1;
      if (nl >= 0 && head.charCodeAt(end) !== 13) {
        firstError ??= new SipParseError("SIP_ERR_HEADER", "bare LF in the header section");
        end = nl;
      }
      const cr = head.indexOf("\r", pos);
      if (cr >= 0 && cr < end)
        firstError ??= new SipParseError("SIP_ERR_HEADER", "bare CR in the header section");
      if (end - pos > maxLine)
        return failure("SIP_ERR_TOO_LARGE", "header line too long", undefined, partialOf(sl, headers));
      const c0 = head.charCodeAt(pos);
      if (c0 === 0x20 || c0 === 0x09) {
        const cont = trimWs(head.slice(pos, end));
        if (!hasPending)
          firstError ??= new SipParseError("SIP_ERR_HEADER", "continuation line before any header");
        else if (cont.length > 0) {
          pendingValue = pendingValue.length > 0 ? pendingValue + " " + cont : cont;
          pendingOff = -1;
        }
        pos = nl < 0 ? headLen : nl + 1;
        continue;
      }
    }
    if (hasPending) {
      let parsed: SipResult<unknown> | undefined;
      if (pendingKey === "content-length") {
        if (clValue === undefined) {
          clValue = pendingValue;
          parsed = cl = parseContentLength(pendingValue);
        } else if (clValue !== pendingValue) clConflict = true;
      }
      if (parsed === undefined && pendingCheck >= 0 && strict && firstError === undefined) {
        parsed = typedValue(pendingCheck, pendingValue, hb, pendingOff);
        if (parsed !== undefined) {
          if (!parsed.ok) strictError ??= parsed.error;
          else if (
            method !== undefined &&
            pendingKey === "cseq" &&
            (parsed.value as CSeq).method !== method
          ) {
            strictError ??= new SipParseError(
              "SIP_ERR_CSEQ_MISMATCH",
              `CSeq method ${(parsed.value as CSeq).method} differs from ${method}`,
              "cseq",
            );
          }
        }
      }
      const h = new HeaderLine(pendingName, pendingKey, pendingValue, parsed);
      // Credentials, parsed on first access only, keep their bytes for that parse (-1: folded).
      if (pendingKeep && parsed === undefined && pendingOff >= 0) HeaderLine.keepSource(h, hb, pendingOff);
      headers.push(h);
      hasPending = false;
    }
    if (atEnd) break;
    // field-name = token (RFC 3261 §7.3.1, §25.1): the usual spelling of a known name directly
    // followed by the colon is recognised in one pass; anything else has its characters checked
    // and its name hashed for the interned-name table in one pass, then HCOLON = *( SP / HTAB ) ":".
    let nameEnd = pos;
    let colon: number;
    let found = -1;
    const usual = usualNameAt(hb, ho + pos, ho + end);
    if (usual >= 0) {
      nameEnd = colon = pos + entryLength(usual);
      found = 2 * usual + 1;
    } else {
      let hash = 0;
      while (nameEnd < end) {
        const c = hb[ho + nameEnd] as number;
        if (TOKEN[c] !== 1) break; // a byte: TOKEN has 256 entries
        hash = nameHashStep(hash, c);
        nameEnd++;
      }
      colon = nameEnd;
      while (colon < end && (hb[ho + colon] === 0x20 || hb[ho + colon] === 0x09)) colon++;
      if (nameEnd > pos && colon < end && hb[ho + colon] === 0x3a)
        found = lookupName(hb, ho + pos, ho + nameEnd, hash);
    }
    if (nameEnd > pos && colon < end && hb[ho + colon] === 0x3a) {
      if (found >= 0) {
        pendingName = (found & 1) === 1 ? entryUsual(found >> 1) : head.slice(pos, nameEnd);
        pendingKey = entryKey(found >> 1);
        pendingCheck = ENTRY_CHECK[found >> 1] as number;
        pendingKeep = ENTRY_KEEP[found >> 1] === 1;
      } else {
        pendingName = head.slice(pos, nameEnd);
        pendingKey = headerKey(pendingName);
        pendingCheck = checkOfKey(pendingKey);
        pendingKeep = false;
      }
      // The value without leading/trailing SP/HTAB, sliced once.
      let vs = colon + 1;
      let ve = end;
      while (vs < ve && (hb[ho + vs] === 0x20 || hb[ho + vs] === 0x09)) vs++;
      while (ve > vs && (hb[ho + ve - 1] === 0x20 || hb[ho + ve - 1] === 0x09)) ve--;
      pendingValue = head.slice(vs, ve);
      pendingOff = ho + vs;
      hasPending = true;
      if (headers.length >= maxHeaders) {
        return failure(
          "SIP_ERR_TOO_LARGE",
          `more than ${maxHeaders} header lines`,
          undefined,
          partialOf(sl, headers),
        );
      }
    } else {
      firstError ??= badHeaderLine(head, pos, end);
    }
    pos = nl < 0 ? headLen : nl + 1;
  }
  if (firstError !== undefined) {
    firstError.partial = partialOf(sl, headers);
    return { ok: false, error: firstError };
  }

  // Body framing, RFC 3261 §18.3.
  const bodyStart = headEnd + 4;
  const available = len - bodyStart;
  let bodyLength = available;
  if (clConflict) {
    return failure(
      "SIP_ERR_CONTENT_LENGTH",
      "conflicting Content-Length values (RFC 4475 §3.3.9)",
      "content-length",
      partialOf(sl, headers),
    );
  }
  if (cl !== undefined) {
    if (!cl.ok)
      return failure("SIP_ERR_CONTENT_LENGTH", cl.error.message, "content-length", partialOf(sl, headers));
    if (cl.value > available) {
      return failure(
        "SIP_ERR_CONTENT_LENGTH",
        `Content-Length ${cl.value} exceeds the ${available} body bytes received`,
        "content-length",
        partialOf(sl, headers),
      );
    }
    bodyLength = cl.value;
  } else if (options?.requireContentLength === true) {
    return failure(
      "SIP_ERR_CONTENT_LENGTH",
      "Content-Length is mandatory on stream transports",
      "content-length",
      partialOf(sl, headers),
    );
  }
  const body = new Uint8Array(buf.buffer, buf.byteOffset + bodyStart, bodyLength);

  const message: SipMessage =
    sl.kind === "request"
      ? { kind: "request", method: sl.method, uri: sl.uri, headers, body }
      : { kind: "response", status: sl.status, reason: sl.reason, headers, body };

  if (strict) {
    const err = uriError(message, hb, ho + sl.uriStart) ?? strictError;
    if (err !== undefined) {
      err.partial = partialOf(sl, headers);
      return { ok: false, error: err };
    }
  }
  return { ok: true, message };
}

/** Why the line `head[pos, end)` is not `field-name HCOLON field-value` (the error path only). */
function badHeaderLine(head: string, pos: number, end: number): SipParseError {
  const colon = head.indexOf(":", pos);
  if (colon < 0 || colon >= end) return new SipParseError("SIP_ERR_HEADER", "header line without a colon");
  const name = trimWs(head.slice(pos, colon));
  return new SipParseError("SIP_ERR_HEADER", `bad header name ${JSON.stringify(name.slice(0, 40))}`);
}

function partialOf(sl: StartLine, headers: readonly SipHeader[]): PartialMessage {
  return sl.kind === "request"
    ? { kind: "request", method: sl.method, uri: sl.uri, headers }
    : { kind: "response", status: sl.status, headers };
}

/**
 * The typed value of a finished line by its check number, over `hb` at `off` (-1: folded, not a
 * slice of the input: over stand-ins of the value); undefined when the check only validated it
 * (see STRICT_VALIDATORS) and it can be built on first access.
 */
function typedValue(c: number, value: string, hb: Uint8Array, off: number): SipResult<unknown> | undefined {
  const p = CHECK_PARSERS[c] as Parser;
  if (off < 0) return p(value, shadowOnce(value), 0);
  const v = CHECK_VALIDATORS[c];
  if (v !== undefined && v(value, hb, off)) return undefined;
  return p(value, hb, off);
}

/**
 * The RFC 4475 §3.1.2 check of the Request-URI (the header values are checked as their lines are
 * finished). The usual Request-URI (sip/sips, no ?headers) is only validated; anything else is
 * parsed for the verdict and the error. `hb[uriOff]` is the Request-URI's first byte.
 */
function uriError(m: SipMessage, hb: Uint8Array, uriOff: number): SipParseError | undefined {
  if (m.kind !== "request" || isPlainSipUriAt(m.uri, hb, uriOff)) return undefined;
  const u = parseUriAt(m.uri, hb, uriOff);
  if (!u.ok) return new SipParseError("SIP_ERR_REQUEST_URI", `Request-URI: ${u.error.message}`);
  // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (u.value.kind === "sip" && u.value.headers.length > 0) {
    return new SipParseError(
      "SIP_ERR_REQUEST_URI",
      "Request-URI carries ?headers, not allowed in a Request-URI (RFC 3261 §19.1.5)",
    );
  }
  return undefined;
}

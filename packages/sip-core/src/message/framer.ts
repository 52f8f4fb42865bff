/**
 * Framing SIP messages on a byte stream (TCP/TLS), RFC 3261 §18.3: the header section ends at the
 * first empty line and Content-Length (mandatory on streams) gives the body size. CRLF keep-alives
 * between messages are skipped (RFC 5626 §3.5.1, RFC 3261 §7.5).
 */
import { SipParseError } from "./errors.js";
import { DEFAULT_LIMITS, type ParseOptions } from "./limits.js";
import { parseMessage, type ParseMessageResult } from "./parse.js";

const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
const CL_RE = /(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*(?:\r\n[ \t]+)?([^\r]*)/gi;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;
  private readonly options: ParseOptions;
  private readonly maxSize: number;

  constructor(options: ParseOptions = {}) {
    this.options = { ...options, requireContentLength: true };
    this.maxSize = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  /**
   * True after a framing error (no Content-Length, message too large): the stream cannot be
   * resynchronised and the connection should be closed (RFC 3261 §18.3).
   */
  get broken(): boolean {
    return this.failed;
  }

  /**
   * Adds bytes and returns every message completed by them, in order. A message that frames but
   * does not parse yields its error and framing continues; a framing error is returned once and
   * the framer then ignores further input.
   */
  push(chunk: Uint8Array): ParseMessageResult[] {
    const out: ParseMessageResult[] = [];
    if (this.failed) return out;
    const add = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.buf = this.buf.length === 0 ? add : Buffer.concat([this.buf, add]);
    for (;;) {
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 13 || this.buf[start] === 10)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) break;
      const headEnd = this.buf.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.buf.length > this.maxSize)
          out.push(this.fail("SIP_ERR_TOO_LARGE", "header section over the size limit"));
        break;
      }
      const head = this.buf.toString("latin1", 0, headEnd);
      let cl: number | undefined;
      let bad = false;
      for (const m of head.matchAll(CL_RE)) {
        const v = (m[1] ?? "").trim();
        const n = /^[0-9]{1,10}$/.test(v) ? Number(v) : NaN;
        if (Number.isNaN(n) || (cl !== undefined && cl !== n)) bad = true;
        else cl = n;
      }
      if (bad || cl === undefined) {
        out.push(
          this.fail(
            "SIP_ERR_CONTENT_LENGTH",
            bad ? "bad or conflicting Content-Length" : "Content-Length is mandatory on stream transports",
          ),
        );
        break;
      }
      const total = headEnd + 4 + cl;
      if (total > this.maxSize) {
        out.push(
          this.fail("SIP_ERR_TOO_LARGE", `message of ${total} bytes over the ${this.maxSize}-byte limit`),
        );
        break;
      }
      if (this.buf.length < total) break;
      out.push(parseMessage(this.buf.subarray(0, total), this.options));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  private fail(code: "SIP_ERR_TOO_LARGE" | "SIP_ERR_CONTENT_LENGTH", message: string): ParseMessageResult {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    return { ok: false, error: new SipParseError(code, message) };
  }
}

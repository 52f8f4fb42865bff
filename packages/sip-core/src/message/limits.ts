/** Bounds that keep parsing linear and memory-bounded on hostile input (RFC 4475 §3.1.1.7 spirit, SPEC §6). */
export interface ParseLimits {
  /** Whole message including body, bytes. Default 65,535 (the largest UDP datagram payload). */
  maxMessageSize: number;
  /** Header lines (after unfolding). Default 256. */
  maxHeaders: number;
  /** One physical line, bytes/characters. Default 16,384. */
  maxLineLength: number;
}

export const DEFAULT_LIMITS: Readonly<ParseLimits> = {
  maxMessageSize: 65535,
  maxHeaders: 256,
  maxLineLength: 16384,
};

export interface ParseOptions extends Partial<ParseLimits> {
  /**
   * Check the start line's Request-URI and the typed headers the stack relies on (Via, From, To,
   * Call-ID, CSeq and its method, Max-Forwards, Contact, Route, Record-Route, Expires,
   * Content-Type, Date, Retry-After, Warning). Default true: RFC 4475 §3.1.2 invalid messages
   * become errors, and the parsed values are cached for the typed accessors (Content-Type and the
   * Request-URI are only validated; they are built when read).
   */
  strict?: boolean;
  /** Stream transports must carry Content-Length (RFC 3261 §18.3, §20.14). Default false (datagram/WebSocket). */
  requireContentLength?: boolean;
}

/**
 * Hookline's log (docs/operations.md, "Logs"): one JSON object per line on stdout (pino), the level
 * from HOOKLINE_LOG_LEVEL. Each part logs through a child naming it (`component`); a line about a
 * call carries its `callId` and `accountId` (`callLog`), so `jq 'select(.callId == "call_…")'`
 * follows one call through the SIP stack, the B2BUA, the media plane and the callbacks.
 */
import { pino, type Logger as PinoLogger } from "pino";

export type Logger = PinoLogger;

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LEVELS)[number];

/** HOOKLINE_LOG_LEVEL's value, checked: an unknown level is an error naming the variable. */
export function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === "") return "info";
  const level = value.toLowerCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`HOOKLINE_LOG_LEVEL must be one of ${LEVELS.join(", ")}; got "${value}"`);
  }
  return level as LogLevel;
}

/** A logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** The process's log. */
export const log: Logger = createLogger(parseLogLevel(process.env.HOOKLINE_LOG_LEVEL));

/** A logger that writes nothing: tests and benchmarks that would drown in lines. */
export const silentLogger: Logger = createLogger("silent");

/** The child logger for lines about one call (SPEC §4's call ids). */
export function callLog(
  parent: Logger,
  call: { readonly callId: string; readonly accountId: string },
): Logger {
  return parent.child({ callId: call.callId, accountId: call.accountId });
}

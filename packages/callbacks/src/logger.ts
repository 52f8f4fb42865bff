import { log } from "@hookline/log";

/** The minimal structured logger the engine needs; pino, console or a test spy all fit. */
export interface Logger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** The process log's lines about callbacks (JSON on stdout: @hookline/log). */
export const callbacksLog: Logger = log.child({ component: "callbacks" });

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

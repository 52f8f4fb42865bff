/** The minimal structured logger the engine needs; pino, console or a test spy all fit. */
export interface Logger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export const consoleLogger: Logger = {
  info: (fields, msg) => console.log(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (fields, msg) => console.warn(JSON.stringify({ level: "warn", msg, ...fields })),
  error: (fields, msg) =>
    console.error(
      JSON.stringify({ level: "error", msg, ...fields }, (_k, v: unknown) =>
        v instanceof Error ? v.stack : v,
      ),
    ),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

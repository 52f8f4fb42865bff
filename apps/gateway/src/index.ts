export { loadConfig, ConfigError } from "./config.js";
export type { Config } from "./config.js";
export { startHookline } from "./server.js";
export type { Hookline, StartOptions } from "./server.js";
export { Gateway } from "./gateway.js";

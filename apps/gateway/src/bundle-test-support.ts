/**
 * The gateway as `npm start` runs it (SPEC §2): the bundle scripts/build-gateway.mjs writes into
 * apps/gateway/build/, run by plain node with source maps, no tsx. Tests and benchmarks that start
 * the gateway as a process run this rather than the sources, so that they test what users run.
 * vitest builds it once before the suite (vitest.config.ts's globalSetup is this module's `setup`);
 * a benchmark calls buildGatewayOnce() before its first start.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built main.ts. */
export const GATEWAY_BUNDLE = fileURLToPath(new URL("../build/main.js", import.meta.url));
/** node's arguments that start it, as package.json's `start` does. */
export const GATEWAY_NODE_ARGS: readonly string[] = ["--enable-source-maps", GATEWAY_BUNDLE];

/** The build (esbuild), run by `node`. */
export const GATEWAY_BUILD = fileURLToPath(new URL("../../../scripts/build-gateway.mjs", import.meta.url));
let built = false;

/** Builds the bundle, once per process (each build replaces its files whole: safe beside another). */
export function buildGatewayOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [GATEWAY_BUILD], { stdio: "inherit" });
  built = true;
}

/** vitest's globalSetup hook: the suite's process tests start the bundle built here. */
export function setup(): void {
  buildGatewayOnce();
}

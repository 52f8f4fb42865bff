/**
 * Loads mediasoup 3.8.4 with the worker binary from Debian's `mediasoup-worker` package.
 *
 * mediasoup reads MEDIASOUP_WORKER_BIN once, when its Worker module is first evaluated, so the
 * default must be in place before the first import: this module is the only one that imports
 * mediasoup, and it does so lazily.
 */
import { existsSync } from "node:fs";
import type * as Mediasoup from "mediasoup";

export const DEFAULT_WORKER_BIN = "/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker";

/** The CommonJS module as seen from ESM: its API is the default export. */
export type MediasoupApi = (typeof Mediasoup)["default"];

let loaded: Promise<MediasoupApi> | undefined;

/** The mediasoup module, with MEDIASOUP_WORKER_BIN defaulted (a user's setting wins). */
export function loadMediasoup(): Promise<MediasoupApi> {
  if (!loaded) {
    process.env.MEDIASOUP_WORKER_BIN ??= DEFAULT_WORKER_BIN;
    const bin = process.env.MEDIASOUP_WORKER_BIN;
    if (!existsSync(bin)) {
      return Promise.reject(
        new Error(
          `mediasoup worker binary not found at ${bin}: run 'npm run setup' or set MEDIASOUP_WORKER_BIN`,
        ),
      );
    }
    // Under tsx (plain Node ESM loader) the named exports come without a `default`; vitest has both.
    loaded = import("mediasoup").then((m) => m.default ?? (m as unknown as MediasoupApi));
  }
  return loaded;
}

export type { Mediasoup };

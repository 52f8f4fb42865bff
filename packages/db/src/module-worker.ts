/**
 * Starts a worker thread on a module of this repository. Under tsx or vitest the module is
 * TypeScript, which a worker cannot load by itself on Node 20 (tsx's loader is not inherited):
 * the worker then registers tsx's loader (`tsx/esm/api`) before importing it. Here because every
 * server part depends on @hookline/db; the call store's writer and the gateway's media plane use it.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** `module`: the worker's module as `new URL("./x.js", import.meta.url)`; `.ts` is used when the caller runs as TypeScript. */
export function startModuleWorker(module: URL, callerUrl: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith(".ts")) return new Worker(module, { workerData });
  const entry = new URL(module.href.replace(/\.js$/, ".ts"));
  const tsxApi = createRequire(callerUrl)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  return new Worker(
    `const { workerData } = require("node:worker_threads");
    import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });`,
    {
      eval: true,
      workerData: { ...(workerData as object), tsxApi: pathToFileURL(tsxApi).href, entry: entry.href },
    },
  );
}

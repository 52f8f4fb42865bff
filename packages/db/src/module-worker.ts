/**
 * Starts a worker thread on a TypeScript module of this repository (the packages export their
 * sources, run by tsx or vitest). A worker cannot load TypeScript by itself on Node 20 (tsx's
 * loader is not inherited), so it first registers tsx's loader (`tsx/esm/api`), then imports the
 * module. Here because every server part depends on @hookline/db; the call store's writer and the
 * gateway's media plane use it.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** `module`: the worker's module, as `new URL("./x.ts", import.meta.url)`. */
export function startModuleWorker(module: URL, workerData: unknown): Worker {
  const tsxApi = createRequire(module)
    .resolve("tsx/esm/api")
    .replace(/\.cjs$/, ".mjs");
  return new Worker(
    `const { workerData } = require("node:worker_threads");
    import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });`,
    {
      eval: true,
      workerData: { ...(workerData as object), tsxApi: pathToFileURL(tsxApi).href, entry: module.href },
    },
  );
}

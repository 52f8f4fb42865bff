/**
 * Starts a worker thread on a module of this repository. From the sources (tsx, vitest) that is a
 * TypeScript module, which a worker cannot load by itself on Node 20 (tsx's loader is not
 * inherited): it first registers tsx's loader (`tsx/esm/api`), then imports the module. From the
 * bundle `npm start` runs (scripts/build-gateway.mjs) it is that worker's own bundle, plain JS,
 * started as it is: no tsx in production. Here because every server part depends on @hookline/db;
 * the call store's writer and the gateway's media plane use it.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * `module`: the worker's module, as `new URL("./x.ts", import.meta.url)`; the bundle's build
 * turns that into the URL of the worker's bundle, `x.js`.
 */
export function startModuleWorker(module: URL, workerData: unknown): Worker {
  if (module.pathname.endsWith(".js")) return new Worker(module, { workerData });
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

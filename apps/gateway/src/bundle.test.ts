/**
 * The bundle `npm start` runs (SPEC §2; scripts/build-gateway.mjs). The process tests start it
 * and carry calls through it (e2e/process.test.ts, cluster/*-processes.test.ts); here, the build.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { GATEWAY_BUILD, GATEWAY_BUNDLE } from "./bundle-test-support.js";

const OUT = path.dirname(GATEWAY_BUNDLE);

describe("the gateway's bundle", () => {
  it("two builds at once (two npm starts) leave every file whole and no temporary file behind", async () => {
    const build = () => promisify(execFile)(process.execPath, [GATEWAY_BUILD]);
    await Promise.all([build(), build()]);
    const files = readdirSync(OUT).sort();
    expect(files).toEqual([
      "call-store-worker.js",
      "call-store-worker.js.map",
      "main.js",
      "main.js.map",
      "media-thread-worker.js",
      "media-thread-worker.js.map",
    ]);
    for (const js of files.filter((f) => f.endsWith(".js"))) {
      expect(readFileSync(path.join(OUT, js), "utf8")).toMatch(
        new RegExp(`//# sourceMappingURL=${js}\\.map\\n$`),
      );
      expect(() => JSON.parse(readFileSync(path.join(OUT, `${js}.map`), "utf8")) as unknown).not.toThrow();
    }
  });

  it("starts each worker thread on its own bundle, plain JS, never on a TypeScript module", () => {
    const main = readFileSync(GATEWAY_BUNDLE, "utf8");
    const workers = [
      ...main.matchAll(/startModuleWorker\(new URL\("\.\/([\w-]+\.js)", import\.meta\.url\)/g),
    ].map((m) => m[1]);
    expect(workers.sort()).toEqual(["call-store-worker.js", "media-thread-worker.js"]);
    expect(main).not.toMatch(/startModuleWorker\(new URL\("[^"]*\.ts"/);
  });
});

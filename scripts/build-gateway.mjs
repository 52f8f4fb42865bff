/**
 * Bundles the gateway for `npm start` (SPEC §2): apps/gateway/src/main.ts and each worker thread's
 * module into plain ESM JavaScript with source maps, in apps/gateway/build/ (git-ignored), so that
 * production runs on plain Node. Under `node --import tsx` a trivial script takes 60 MB PSS
 * instead of 23 MB (Node 20 runs module hooks on a loader thread, and each worker thread loads
 * tsx again). The @hookline/* workspace packages are bundled; npm packages stay external and are
 * loaded from node_modules as from the sources.
 *
 * The bundle runs inside this checkout, beside the sources: every `import.meta.url` in bundled
 * code is rewritten to the URL of the source file it was written in, so that the paths derived
 * from it (drizzle's migrations, apps/gateway/bin, package.json, createRequire) are the same from
 * the bundle as from the sources. The one exception: `new URL("./x.ts", import.meta.url)` naming a
 * worker thread's module becomes the URL of that worker's own bundle (`x.js` here), which
 * startModuleWorker (packages/db/src/module-worker.ts) starts as plain JS; one naming a module
 * that is not an entry below fails the build.
 *
 * Each file is written under a temporary name and renamed, so two builds at once (two `npm start`
 * or test processes) never leave a half-written file; both write the same bytes. The whole
 * command takes about a second on a busy 2-core machine, most of it esbuild's bundling of some 280
 * files.
 */
import { build } from "esbuild";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Also named by package.json's `start` and apps/gateway/src/bundle-test-support.ts. */
const OUT = path.join(ROOT, "apps/gateway/build");

/** Output name → source. Each worker thread gets a bundle of its own. */
const ENTRIES = {
  main: "apps/gateway/src/main.ts",
  "media-thread-worker": "apps/gateway/src/media/media-thread-worker.ts",
  "call-store-worker": "packages/db/src/call-store-worker.ts",
};
const entryBySource = new Map(Object.entries(ENTRIES).map(([name, src]) => [path.join(ROOT, src), name]));

/** npm packages stay external; @hookline/* resolve (through their node_modules links) to sources. */
const npmPackagesExternal = {
  name: "npm-packages-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@hookline/") ? undefined : { path: args.path, external: true },
    );
  },
};

/** A worker's URL, `new URL("./x.ts", import.meta.url)` (group 2: `./x.ts`), or any other use. */
const IMPORT_META_URL =
  /new URL\(\s*(["'])(\.{1,2}\/[^"']+\.ts)\1\s*,\s*import\.meta\.url\s*\)|import\.meta\.url/g;

/** `import.meta.url` means the source file, as it does when the sources run (see above). */
const sourceImportMetaUrl = {
  name: "source-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const errors = [];
      const sourceUrl = `new URL(${JSON.stringify(path.relative(OUT, args.path).split(path.sep).join("/"))}, import.meta.url).href`;
      const contents = text.replace(IMPORT_META_URL, (match, _quote, rel, offset) => {
        // Comments stay as written.
        if (/^\s*\*|\/[*/]/.test(text.slice(text.lastIndexOf("\n", offset) + 1, offset))) return match;
        if (rel === undefined) return sourceUrl;
        const worker = entryBySource.get(path.resolve(path.dirname(args.path), rel));
        if (worker === undefined) {
          errors.push({
            text: `${rel} is started from a URL but is not an entry of the bundle (ENTRIES)`,
            location: { file: path.relative(ROOT, args.path) },
          });
          return match;
        }
        return `new URL("./${worker}.js", import.meta.url)`;
      });
      return { contents, loader: path.extname(args.path).slice(1), errors };
    });
  },
};

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ENTRIES,
  outdir: OUT,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  write: false,
  logLevel: "warning",
  plugins: [npmPackagesExternal, sourceImportMetaUrl],
});

mkdirSync(OUT, { recursive: true });
// Source maps and workers first, main last: a process starting meanwhile finds what main.js names.
const files = [...result.outputFiles].sort((a, b) => rank(a.path) - rank(b.path));
for (const file of files) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
}

function rank(file) {
  if (file.endsWith(".map")) return 0;
  return path.basename(file) === "main.js" ? 2 : 1;
}

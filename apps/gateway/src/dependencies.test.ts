import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL(".", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** The names each gateway file imports from the console package (this file excepted). */
function consoleImports(): { file: string; names: string[] }[] {
  const re = /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"@hookline\/console"/g;
  const self = fileURLToPath(import.meta.url);
  return sources(SRC)
    .filter((file) => file !== self)
    .flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(re)].map((m) => ({
        file: relative(SRC, file),
        names: (m[1] ?? "")
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean)
          .sort(),
      })),
    );
}

describe("dependencies run one way (STYLE: an app never imports another app)", () => {
  it("the gateway takes tokens and secret files from @hookline/auth-tokens, and only composes the console", () => {
    // Regression: sip-callback-header.ts imported verifyAccountToken, server.ts the secret files.
    expect(consoleImports()).toEqual([
      { file: "server.ts", names: ["createConsoleApp", "databaseGuard", "notFoundResponse"] },
    ]);
  });
});

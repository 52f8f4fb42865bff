import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureOperatorToken, ensureTokenSecret } from "./secret-files.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-optoken-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ensureOperatorToken", () => {
  it("generates once into <dataDir>/operator-token with mode 0600, then reuses it", () => {
    const dataDir = join(dir, "data");
    const first = ensureOperatorToken(dataDir);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^hlop_[A-Za-z0-9_-]{43}$/);
    const file = join(dataDir, "operator-token");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toBe(first.token);

    expect(ensureOperatorToken(dataDir)).toEqual({ token: first.token, created: false });
  });

  it("lets HOOKLINE_ADMIN_TOKEN win without writing a file", () => {
    expect(ensureOperatorToken(dir, "from-env")).toEqual({ token: "from-env", created: false });
    expect(() => statSync(join(dir, "operator-token"))).toThrow();
  });

  it("keeps a token secret beside it, also 0600", () => {
    const secret = ensureTokenSecret(dir);
    expect(ensureTokenSecret(dir)).toBe(secret);
    expect(statSync(join(dir, "token-secret")).mode & 0o777).toBe(0o600);
  });
});

import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface OperatorToken {
  token: string;
  /** True when this call generated the token: the caller prints it once. */
  created: boolean;
}

/**
 * The operator token guards account management. An explicit token (HOOKLINE_ADMIN_TOKEN) wins;
 * otherwise the one in `<dataDir>/operator-token` is used, generated (mode 0600) on first start.
 */
export function ensureOperatorToken(dataDir: string, envToken?: string): OperatorToken {
  if (envToken !== undefined && envToken.trim() !== "") return { token: envToken.trim(), created: false };
  return ensureSecretFile(
    join(dataDir, "operator-token"),
    () => `hlop_${randomBytes(32).toString("base64url")}`,
  );
}

/** The HS256 key that signs account tokens (`POST /v1/tokens`), kept in `<dataDir>/token-secret`. */
export function ensureTokenSecret(dataDir: string): string {
  return ensureSecretFile(join(dataDir, "token-secret"), () => randomBytes(32).toString("base64url")).token;
}

function ensureSecretFile(file: string, generate: () => string): OperatorToken {
  try {
    const existing = readFileSync(file, "utf8").trim();
    if (existing !== "") return { token: existing, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  mkdirSync(join(file, ".."), { recursive: true });
  const token = generate();
  try {
    // `wx`: if another process created the file meanwhile, fail and read theirs instead.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      return { token: readFileSync(file, "utf8").trim(), created: false };
    throw err;
  }
  chmodSync(file, 0o600); // the umask may have narrowed, never widened, but be explicit
  return { token, created: true };
}

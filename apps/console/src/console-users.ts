import { randomBytes } from "node:crypto";
import { eq, first, isUniqueViolation, newId } from "@hookline/db";
import type { Store } from "@hookline/db";
import { hashPassword } from "./passwords.js";

/** Shortest password a console user may choose (NIST SP 800-63B §3.1.1.2 asks for at least 8). */
export const MIN_PASSWORD_LENGTH = 10;

export type CreateConsoleUserResult =
  | { ok: true; user: { id: string; accountId: string; email: string; createdAt: number }; password?: string }
  | { ok: false; reason: "no_account" | "duplicate_email" | "weak_password" };

/** 24 base64url characters (144 bits), shown once to the operator. */
export const generatePassword = () => randomBytes(18).toString("base64url");

/**
 * The operator's way in for a tenant (SPEC §1, console): a console user of one account. Shared by
 * `POST /v1/accounts/{id}/users` and `npm run user:create`. Without a password one is generated
 * and returned, once.
 */
export async function createConsoleUser(
  { db, t: { accounts, consoleUsers } }: Store,
  input: { accountId: string; email: string; password?: string | undefined },
  now: number = Date.now(),
): Promise<CreateConsoleUserResult> {
  const account = first(
    await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, input.accountId)).limit(1),
  );
  if (!account) return { ok: false, reason: "no_account" };
  if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
    return { ok: false, reason: "weak_password" };
  }
  const password = input.password ?? generatePassword();
  const user = {
    id: newId("usr"),
    accountId: input.accountId,
    email: normalizeEmail(input.email),
    createdAt: now,
  };
  const passwordHash = await hashPassword(password);
  try {
    await db.insert(consoleUsers).values({ ...user, passwordHash });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: "duplicate_email" };
    throw err;
  }
  return { ok: true, user, ...(input.password === undefined && { password }) };
}

/** Emails are compared case-insensitively (the local part too: nobody means two people by case). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Console sign-in sessions. Server-side rows in the database (`console_sessions`) rather than a signed
 * cookie: sign-out and a password change must end a session at once, which a self-contained
 * cookie cannot do without a revocation list anyway. The cookie holds 32 random bytes; the table
 * holds their SHA-256 (./secrets.ts reasoning: nothing to brute-force, lookup by index).
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { and, eq, first, lt, ne } from "@hookline/db";
import type { Store } from "@hookline/db";
import { hashApiKey, safeEqual } from "../secrets.js";
import type { WebUser } from "./layout.js";

/** Absolute lifetime of a session: a working day, then sign in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_COOKIE = "hookline_session";
/** The hidden form field carrying the per-session CSRF token. */
export const CSRF_FIELD = "_csrf";

/** Pages behind sign-in read the user from here (`c.get("webUser")`). */
export type WebEnv = { Variables: { webUser: WebUser } };

export interface SessionDeps {
  store: Store;
  now: () => number;
}

/**
 * Tied to the session (an HMAC keyed by its token), so it needs no storage and dies with it.
 * Forms carry it on top of the Origin check (hono's `csrf`), for browsers that send no Origin.
 */
export const csrfTokenFor = (sessionToken: string) =>
  createHmac("sha256", sessionToken).update("hookline console csrf").digest("base64url");

const isTls = (c: Context) => new URL(c.req.url).protocol === "https:";

export async function startSession(c: Context, { store, now }: SessionDeps, userId: string): Promise<void> {
  const {
    db,
    t: { consoleSessions },
  } = store;
  const token = randomBytes(32).toString("base64url");
  const t = now();
  await db
    .insert(consoleSessions)
    .values({ tokenHash: hashApiKey(token), userId, createdAt: t, expiresAt: t + SESSION_TTL_MS });
  // Expired rows of anyone are swept here, at the one place sessions are made.
  await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, t));
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isTls(c),
    maxAge: SESSION_TTL_MS / 1000,
  });
}

export async function endSession(c: Context, { store: { db, t } }: SessionDeps): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await db.delete(t.consoleSessions).where(eq(t.consoleSessions.tokenHash, hashApiKey(token)));
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isTls(c) });
}

/** After a password change: every other session of the user ends, this one stays. */
export async function endOtherSessions(
  c: Context,
  {
    store: {
      db,
      t: { consoleSessions },
    },
  }: SessionDeps,
  userId: string,
): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE) ?? "";
  await db
    .delete(consoleSessions)
    .where(and(eq(consoleSessions.userId, userId), ne(consoleSessions.tokenHash, hashApiKey(token))));
}

/** The signed-in user of this request, or null (no cookie, unknown or expired session). */
export async function currentUser(c: Context, { store, now }: SessionDeps): Promise<WebUser | null> {
  const {
    db,
    t: { consoleSessions, consoleUsers },
  } = store;
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  const row = first(
    await db
      .select({
        userId: consoleUsers.id,
        accountId: consoleUsers.accountId,
        email: consoleUsers.email,
        expiresAt: consoleSessions.expiresAt,
      })
      .from(consoleSessions)
      .innerJoin(consoleUsers, eq(consoleUsers.id, consoleSessions.userId))
      .where(eq(consoleSessions.tokenHash, hashApiKey(token)))
      .limit(1),
  );
  if (!row || row.expiresAt <= now()) return null;
  return { userId: row.userId, accountId: row.accountId, email: row.email, csrfToken: csrfTokenFor(token) };
}

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;

/**
 * Sets `c.get("webUser")` for the console's pages, or sends the browser to /sign-in (and back
 * afterwards). A form POST must also carry the session's CSRF token in `_csrf`.
 */
export function requireWebUser(deps: SessionDeps): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const user = await currentUser(c, deps);
    if (!user) {
      const back = c.req.method === "GET" ? c.req.path : "/";
      return c.redirect(`/sign-in${back === "/" ? "" : `?next=${encodeURIComponent(back)}`}`, 303);
    }
    if (UNSAFE.test(c.req.method)) {
      const form = await c.req.parseBody();
      const sent = form[CSRF_FIELD];
      if (typeof sent !== "string" || !safeEqual(sent, user.csrfToken ?? "")) {
        return c.text("This form has expired: reload the page and try again.", 403);
      }
    }
    c.set("webUser", user);
    return next();
  };
}

/**
 * A secret shown once, across a post/redirect/get. A form that makes a secret (an API key, a
 * signing secret, a rotation) redirects to the page that shows it instead of answering with
 * that page, so that a reload re-asks for nothing: no second key, no second rotation. The secret
 * rides in a short-lived cookie for the one page it was made for, which takes it and clears it;
 * the console keeps no state of its own for it, so any console node may serve the redirect.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

const FLASH_COOKIE = "hookline_once";
/** Long enough for the redirect, short enough that an unfollowed one does not linger. */
const FLASH_TTL_S = 120;

export interface Flash {
  secret: string;
  notice?: string;
}

const isTls = (c: Context) => new URL(c.req.url).protocol === "https:";

/** 303 to `location`, whose page shows `flash` once (takeFlash). */
export function redirectWithFlash(c: Context, location: string, flash: Flash): Response {
  const path = new URL(location, c.req.url).pathname;
  const value = Buffer.from(JSON.stringify({ path, ...flash })).toString("base64url");
  setCookie(c, FLASH_COOKIE, value, {
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
    secure: isTls(c),
    maxAge: FLASH_TTL_S,
  });
  return c.redirect(location, 303);
}

/** The flash meant for this page, if any; cleared either way, so a reload shows it no more. */
export function takeFlash(c: Context): Flash | undefined {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: "/", secure: isTls(c) });
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Partial<Flash & { path: string }>;
    if (v.path !== c.req.path || typeof v.secret !== "string") return undefined;
    return { secret: v.secret, ...(typeof v.notice === "string" && { notice: v.notice }) };
  } catch {
    return undefined;
  }
}

import type { z } from "@hono/zod-openapi";

/**
 * Code points a display name or description must not carry: C0 controls (NUL included), DEL and
 * C1 controls, the line and paragraph separators, the bidirectional embeddings, overrides and
 * isolates (Unicode UAX #9 §2; the "Trojan Source" reordering), and lone surrogates, which are not
 * text at all. They are invisible or reorder what an operator reads in the console and in logs.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]|\p{Cs}/u;

const codePoint = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `value` is not acceptable display text, or null. */
export function displayTextProblem(value: string): string | null {
  const m = FORBIDDEN.exec(value);
  if (m === null) return null;
  return `must not contain control characters or bidirectional overrides (${codePoint(m[0])} at index ${m.index})`;
}

/** `schema` refusing what `displayTextProblem` names; zod prefixes the field, so the 400 names it. */
export const displayText = <T extends z.ZodString>(schema: T): T =>
  schema.superRefine((value, ctx) => {
    const problem = displayTextProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * The default route (SPEC §5): ring the called user's registered contacts in the caller's domain;
 * `404 Not Found` for an unknown user, `480 Temporarily Unavailable` for a known user with no
 * registered contact; a dial that fails answers the caller with its final status.
 */
import type { CallControl, CallDirectory, CallRouter, DialOutcome, IncomingCall } from "./ports.js";

export async function ringUser(
  directory: CallDirectory,
  call: CallControl,
  user: string | undefined,
  timeoutMs: number,
): Promise<void> {
  if (!user || !directory.userExists(call.domain, user)) return call.reject(404, "Not Found", "unknown-user");
  const contacts = directory.lookup(call.domain, user).map((b) => ({ ...b, target: user }));
  if (contacts.length === 0) return call.reject(480, "Temporarily Unavailable", "offline");
  const outcome = await call.dial({ groups: [contacts], timeoutMs });
  finishFailedDial(call, outcome);
}

/** A dial that did not connect ends the call with its own final status (nothing is left to do). */
export function finishFailedDial(call: CallControl, outcome: DialOutcome): void {
  if (call.ended || outcome.status === "answered") return;
  const status = outcome.status === "no-answer" ? 480 : (outcome.sipStatus ?? 480);
  const retryAfter = outcome.retryAfterSec;
  call.reject(
    status,
    outcome.status === "no-answer" ? "Temporarily Unavailable" : (outcome.reason ?? undefined),
    outcome.endReason ?? outcome.status,
    retryAfter !== undefined && status === 503 ? [["Retry-After", String(retryAfter)]] : undefined,
  );
}

export function defaultRouter(directory: CallDirectory, ringTimeoutMs: number): CallRouter {
  return {
    route: (call: CallControl, incoming: IncomingCall) =>
      ringUser(directory, call, incoming.user, ringTimeoutMs),
  };
}

/**
 * The handle the router's actions act on (SPEC §5): a call as the application hook, the default
 * route and an API call's program see it. `firstParty`: the handle of an API call's first dial.
 */
import type { Call } from "./call.js";
import type { CallRecorder } from "./call-recorder.js";
import type { CallControl, DialOutcome, DialRequest, Ending } from "./ports.js";

export interface CallControlDeps {
  dial(call: Call, request: DialRequest, firstParty: boolean): Promise<DialOutcome>;
  finish(call: Call, ending: Ending): void;
  recorder: CallRecorder;
}

export function callControl(call: Call, deps: CallControlDeps, firstParty = false): CallControl {
  return {
    id: call.record.id,
    accountId: call.record.accountId,
    domain: call.domain,
    origin: call.inbound ? "inbound" : "api",
    log: call.log,
    get ended() {
      return call.ended;
    },
    dial: (request) => deps.dial(call, request, firstParty),
    reject: (status, reason, endReason, headers) =>
      deps.finish(call, {
        status,
        reason,
        endReason: endReason ?? reason ?? String(status),
        ...(headers && { headers }),
      }),
    hangup: (endReason = "hangup") => deps.finish(call, { status: 603, reason: "Decline", endReason }),
    asking: () => {
      if (call.phase !== "asking") call.moveTo("asking");
    },
    pause: (ms) =>
      new Promise<void>((resolve) => {
        call.after(ms, resolve);
        void call.done.then(() => resolve());
      }),
    hook: (entry) => deps.recorder.hook(call.record, entry),
  };
}

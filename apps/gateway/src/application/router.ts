/**
 * Programmable calls (SPEC §5): a new call on a domain with an `applicationUrl` is described to the
 * application (`call.incoming`), and the actions it answers are carried out in order: `dial`,
 * `reject`, `hangup`, `redirect`, `pause`. An application that fails (timeout, refused, non-2xx,
 * invalid JSON, an unknown action or a bad field, more than 10 redirects) is replaced by the
 * `fallbackUrl`, and that by the default route. Every request and its answer is on the call's
 * timeline. Calls the API starts (`POST /v1/calls`) run their actions, or ask the application with
 * `call.outbound-answered`, once the first party answered.
 */
import type { Action, DialAction, DialTarget } from "@hookline/callbacks";
import { finishFailedDial, ringUser } from "../b2bua/default-route.js";
import type {
  CallControl,
  CallDirectory,
  CallRouter,
  DialContact,
  DialOutcome,
  HookEntry,
  IncomingCall,
} from "../b2bua/ports.js";
import type { TrunkCalls, TrunkTicket } from "../trunks/outbound.js";
import type { ApplicationHookClient } from "./hook-client.js";
import { resolveTarget } from "./targets.js";

/** A domain's hook settings, read fresh for each call (a PATCH applies to the next call). */
export interface ApplicationConfig {
  applicationUrl: string | null;
  fallbackUrl: string | null;
  timeoutMs: number;
  secret: string | null;
}

export interface ApplicationRouterDeps {
  directory: CallDirectory;
  hooks: ApplicationHookClient;
  config(domainId: string): ApplicationConfig | undefined;
  /** The default route's dial timeout. */
  ringTimeoutMs: number;
  /** Calls out through trunks (SPEC §3); without it, numbers and trunk hosts are unreachable. */
  trunks?: TrunkCalls;
  now?: () => number;
}

export const DEFAULT_APPLICATION_TIMEOUT_MS = 5000;
const MAX_REDIRECTS = 10;
const DEFAULT_DIAL_TIMEOUT_S = 30;

/** A dial target resolved: its contacts (a trunk's admitted by the fraud guard), or why not. */
type ResolvedTarget =
  | { ok: true; contacts: DialContact[]; ticket?: TrunkTicket }
  /** `refusal`: the fraud guard's own outcome (its reason, Retry-After), to end the call with. */
  | { ok: false; status: number; reason: string; refusal?: DialOutcome };

type Payload = { type: string; timestamp: string; data: Record<string, unknown> };

/** One call's program: what the application was told, and how many redirects it took. */
interface Run {
  call: CallControl;
  app: ApplicationConfig;
  incoming: IncomingCall;
  payload: Payload;
  redirects: number;
}

export class ApplicationRouter implements CallRouter {
  readonly #o: ApplicationRouterDeps;
  readonly #now: () => number;

  constructor(deps: ApplicationRouterDeps) {
    this.#o = deps;
    this.#now = deps.now ?? Date.now;
  }

  async route(call: CallControl, incoming: IncomingCall): Promise<void> {
    const app = this.#o.config(call.domain.domainId);
    if (!app?.applicationUrl) return this.#defaultRoute(call, incoming);
    const run = this.#run("call.incoming", call, incoming, app);
    const actions = await this.#askWithFallback(run, app.applicationUrl, "application");
    if (!actions) return this.#defaultRoute(call, incoming);
    await this.#execute(run, actions);
  }

  /** The program of an API call whose first party answered: its actions, or the application's. */
  async runOutbound(
    call: CallControl,
    incoming: IncomingCall,
    program: { actions?: Action[] | undefined; applicationUrl?: string | undefined },
  ): Promise<void> {
    const domainApp = this.#o.config(call.domain.domainId);
    const app: ApplicationConfig = {
      applicationUrl: program.applicationUrl ?? null,
      fallbackUrl: null,
      timeoutMs: domainApp?.timeoutMs ?? DEFAULT_APPLICATION_TIMEOUT_MS,
      secret: domainApp?.secret ?? null,
    };
    const run = this.#run("call.outbound-answered", call, incoming, app);
    const actions =
      program.actions ?? (app.applicationUrl && (await this.#ask(run, app.applicationUrl, "application")));
    if (actions) await this.#execute(run, actions);
  }

  #run(type: string, call: CallControl, incoming: IncomingCall, app: ApplicationConfig): Run {
    return { call, app, incoming, payload: this.#payload(type, call, incoming), redirects: 0 };
  }

  /** The application, then the fallback; undefined when both failed (the default route follows). */
  async #askWithFallback(run: Run, url: string, kind: HookEntry["kind"]): Promise<Action[] | undefined> {
    const actions = await this.#ask(run, url, kind);
    if (actions || run.call.ended) return actions;
    const fallback = run.app.fallbackUrl;
    return fallback && fallback !== url ? this.#ask(run, fallback, "fallback") : undefined;
  }

  /** One request, recorded on the timeline with its answer or why it was not usable. */
  async #ask(
    run: Run,
    url: string,
    kind: HookEntry["kind"],
    payload = run.payload,
  ): Promise<Action[] | undefined> {
    run.call.asking();
    const answer = await this.#o.hooks.ask(
      run.call.domain.domainId,
      url,
      run.app.secret,
      payload,
      run.app.timeoutMs,
    );
    run.call.hook({
      kind,
      eventType: payload.type,
      url,
      status: answer.status,
      latencyMs: answer.latencyMs,
      actions: answer.ok ? answer.actions : null,
      error: answer.ok ? null : answer.error,
    });
    if (!answer.ok) run.call.log.warn({ kind, url, error: answer.error }, "application answer not usable");
    return answer.ok ? answer.actions : undefined;
  }

  async #execute(run: Run, actions: Action[]): Promise<void> {
    const { call } = run;
    let lastDial: DialOutcome | undefined;
    for (const action of actions) {
      if (call.ended) return;
      switch (action.action) {
        case "dial": {
          lastDial = await this.#dial(run, action);
          if (call.ended || (lastDial.status === "answered" && !action.actionUrl)) return;
          if (action.actionUrl) return this.#afterDial(run, action.actionUrl, lastDial);
          break;
        }
        case "reject":
          return call.reject(
            action.status ?? 603,
            action.reason ?? (action.status ? undefined : "Decline"),
            "rejected",
          );
        case "hangup":
          return call.hangup("application-hangup");
        case "redirect": {
          if (++run.redirects > MAX_REDIRECTS) {
            call.hook(
              failedEntry("redirect", run.payload.type, action.url, `more than ${MAX_REDIRECTS} redirects`),
            );
            return this.#fallbackThenDefault(run, action.url);
          }
          const next = await this.#ask(run, action.url, "redirect");
          return next ? this.#execute(run, next) : this.#fallbackThenDefault(run, action.url);
        }
        case "pause":
          call.asking();
          await call.pause(action.seconds * 1000);
          break;
      }
    }
    if (lastDial) finishFailedDial(call, lastDial);
  }

  /** A redirect that failed (or looped): the fallback, once, then the default route. */
  async #fallbackThenDefault(run: Run, failedUrl: string): Promise<void> {
    const fallback = run.app.fallbackUrl;
    if (fallback && fallback !== failedUrl && run.call.origin === "inbound") {
      const actions = await this.#ask(run, fallback, "fallback");
      if (actions) return this.#execute({ ...run, app: { ...run.app, fallbackUrl: null } }, actions);
    }
    if (run.call.origin === "inbound") return this.#defaultRoute(run.call, run.incoming);
    run.call.hangup("application-failed");
  }

  /** The dial's outcome to its `actionUrl`; the answer's actions continue a call not yet bridged. */
  async #afterDial(run: Run, url: string, outcome: DialOutcome): Promise<void> {
    const payload: Payload = {
      type: "call.dial-completed",
      timestamp: new Date(this.#now()).toISOString(),
      data: {
        ...run.payload.data,
        dial: {
          status: outcome.status,
          sipStatus: outcome.sipStatus,
          answeredBy: outcome.answeredBy,
          durationSec: outcome.durationSec,
        },
      },
    };
    const next = await this.#ask(run, url, "action", payload);
    if (run.call.ended) return;
    if (next) return this.#execute(run, next);
    finishFailedDial(run.call, outcome);
  }

  async #dial(run: Run, action: DialAction): Promise<DialOutcome> {
    const { call } = run;
    const targets = Array.isArray(action.to) ? action.to : [action.to];
    const trunks = this.#o.trunks;
    const timeoutMs = (action.timeout ?? DEFAULT_DIAL_TIMEOUT_S) * 1000;
    const headers = Object.entries(action.headers ?? {});
    if (targets.length === 1 && trunks) {
      // One trunk target: its outbound targets in priority order, failing over (trunks/outbound.ts).
      const r = trunks.resolve(call.accountId, targets[0]!);
      if (r && !r.ok) return unreachableOutcome(r.status, r.reason);
      if (r)
        return trunks.dial(call, r.route, {
          timeoutMs,
          caller: this.#caller(trunks, run, action.callerId),
          headers,
        });
    }
    const groups: DialContact[][] = [];
    let unreachable: Extract<ResolvedTarget, { ok: false }> | undefined;
    const tickets: Array<{ target: string; ticket: TrunkTicket }> = [];
    for (const target of targets) {
      const r = await this.#resolve(call, target);
      if (r.ok && r.ticket) tickets.push({ target: r.contacts[0]!.target, ticket: r.ticket });
      if (!r.ok) {
        if (!unreachable || weight(r) > weight(unreachable)) unreachable = r;
        continue;
      }
      if (action.strategy === "sequential" || groups.length === 0) groups.push([...r.contacts]);
      else groups[0]!.push(...r.contacts);
    }
    if (groups.length === 0)
      return (
        unreachable?.refusal ?? unreachableOutcome(unreachable?.status ?? 404, unreachable?.reason ?? null)
      );
    const callerId = action.callerId;
    for (const t of tickets) t.ticket.started();
    let outcome: DialOutcome | undefined;
    try {
      outcome = await call.dial({
        groups,
        timeoutMs,
        callerId: callerId && !/^sips?:/i.test(callerId) ? `sip:${callerId}@${call.domain.name}` : callerId,
        headers,
        onAnswered: (by) => tickets.find((t) => t.target === by)?.ticket.answered(),
      });
      return outcome;
    } finally {
      // Each trunk target rang as a leg of its own: the one that answered has the call's seconds.
      for (const t of tickets)
        t.ticket.ended(t.target === outcome?.answeredBy ? (outcome.durationSec ?? 0) : 0);
    }
  }

  /**
   * A target among several: a trunk's comes as its first usable outbound target (no failover),
   * once the fraud guard admits it (a refusal makes it unreachable, with the guard's status).
   */
  async #resolve(call: CallControl, target: DialTarget): Promise<ResolvedTarget> {
    const trunks = this.#o.trunks;
    const r = trunks?.resolve(call.accountId, target);
    if (r && !r.ok) return r;
    if (r && trunks) {
      const [first] = await trunks.contacts(r.route);
      if (!first) return { ok: false, status: 480, reason: "no trunk target is up" };
      const admitted = trunks.admitBeside(call, r.route);
      if (!admitted.ok)
        return {
          ok: false,
          status: admitted.outcome.sipStatus ?? 403,
          reason: admitted.outcome.reason ?? "",
          refusal: admitted.outcome,
        };
      return { ok: true, contacts: [first], ticket: admitted.ticket };
    }
    if (typeof target !== "string") return { ok: false, status: 404, reason: "no trunk for the number" };
    return resolveTarget(this.#o.directory, call.domain, target);
  }

  /** Who calls, for a trunk's caller id rules. */
  #caller(trunks: TrunkCalls, run: Run, callerId: string | undefined) {
    return trunks.caller(run.call.domain, run.incoming.from, callerId, run.incoming.privacy ?? false);
  }

  /**
   * The default route; a user dialling a number that is no user of the domain goes out through
   * the account's default trunk (SPEC §3 trunks). Calls that came in through a trunk never do.
   */
  async #defaultRoute(call: CallControl, incoming: IncomingCall): Promise<void> {
    const user = incoming.user;
    const trunks = this.#o.trunks;
    if (
      trunks &&
      user &&
      !incoming.source.trunk &&
      call.origin === "inbound" &&
      !this.#o.directory.userExists(call.domain, user)
    ) {
      const route = trunks.defaultRoute(call.accountId, user);
      if (route) {
        const run = this.#run("call.incoming", call, incoming, {
          applicationUrl: null,
          fallbackUrl: null,
          timeoutMs: 0,
          secret: null,
        });
        const outcome = await trunks.dial(call, route, {
          timeoutMs: this.#o.ringTimeoutMs,
          caller: this.#caller(trunks, run, undefined),
        });
        return finishFailedDial(call, outcome);
      }
    }
    return ringUser(this.#o.directory, call, user, this.#o.ringTimeoutMs);
  }

  #payload(type: string, call: CallControl, incoming: IncomingCall): Payload {
    return {
      type,
      timestamp: new Date(this.#now()).toISOString(),
      data: {
        accountId: call.accountId,
        callId: call.id,
        domain: call.domain.name,
        from: incoming.from,
        to: incoming.to,
        requestUri: incoming.requestUri,
        source: incoming.source,
        headers: incoming.headers,
        media: { codecs: incoming.codecs },
      },
    };
  }
}

/**
 * Which failed target says most of why a dial reached no one: the fraud guard's refusal (its
 * reason is recorded), then 480 (offline) over 404 (unknown).
 */
const weight = (u: Extract<ResolvedTarget, { ok: false }>) => (u.refusal ? 1000 : 0) + u.status;

function unreachableOutcome(status: number, reason: string | null): DialOutcome {
  return {
    status: status === 480 ? "no-answer" : "failed",
    sipStatus: status,
    reason,
    answeredBy: null,
    durationSec: null,
  };
}

function failedEntry(kind: HookEntry["kind"], eventType: string, url: string, error: string): HookEntry {
  return { kind, eventType, url, status: null, latencyMs: 0, actions: null, error };
}

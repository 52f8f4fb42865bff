/**
 * The registrar (RFC 3261 §10.3): the domain of the Request-URI names the tenant, the request is
 * digest-authenticated against that domain's credentials, and the Contacts update the location
 * service. `handle()` does the whole procedure and returns the response to send.
 */
import {
  createResponse,
  generateTag,
  getCallId,
  getContacts,
  getCSeq,
  getExpires,
  getHeader,
  getOptionTags,
  getTo,
  parseSipUriString,
  parseUri,
} from "@hookline/sip-core";
import type { Contact, HeaderInput, SipRequest, SipResponse } from "@hookline/sip-core";
import type { SipAuthenticator } from "../auth/sip-authenticator.js";
import type { TenantDirectory } from "../tenancy/tenant-directory.js";
import type { Flow } from "../transport/types.js";
import { contactValue } from "./binding.js";
import { aorOf } from "./location-service.js";
import type { ContactChange, LocationService } from "./location-service.js";
import { log } from "@hookline/log";

const registrarLog = log.child({ component: "registrar" });

export interface RegistrarOptions {
  readonly tenants: TenantDirectory;
  readonly authenticator: SipAuthenticator;
  readonly locations: LocationService;
  readonly now?: () => number;
  /** Shortest accepted registration; shorter ones get 423 (§10.3 step 7). Default 60 s. */
  readonly minExpires?: number;
  /** Longer registrations are shortened to this. Default 3600 s. */
  readonly maxExpires?: number;
  /** When neither the Contact nor the request says. Default 3600 s (§10.2.1.1). */
  readonly defaultExpires?: number;
}

/** Extensions a REGISTER may Require (§10.3 step 3): flows are kept per connection (RFC 5626). */
const SUPPORTED = new Set(["outbound", "path"]);

type Refusal = { status: number; reason?: string; headers?: HeaderInput[] };

export class Registrar {
  readonly #tenants: TenantDirectory;
  readonly #auth: SipAuthenticator;
  readonly #locations: LocationService;
  readonly #now: () => number;
  readonly #min: number;
  readonly #max: number;
  readonly #default: number;

  constructor(options: RegistrarOptions) {
    this.#tenants = options.tenants;
    this.#auth = options.authenticator;
    this.#locations = options.locations;
    this.#now = options.now ?? Date.now;
    this.#min = options.minExpires ?? 60;
    this.#max = options.maxExpires ?? 3600;
    this.#default = options.defaultExpires ?? 3600;
  }

  /**
   * A registrar fault answers 500 rather than leaving the request unanswered. Everything up to
   * the location service's update runs before this returns, so REGISTERs take effect in the
   * order they arrived; the answer comes once the binding is committed.
   */
  async handle(req: SipRequest, flow: Flow): Promise<SipResponse> {
    try {
      return await this.#handle(req, flow);
    } catch (err) {
      registrarLog.error({ err }, "REGISTER failed");
      return reply(req, { status: 500 });
    }
  }

  /** A TCP or WebSocket connection closed: its bindings go (RFC 7118 §5, RFC 5626 §4.4). */
  connectionClosed(connectionId: string): void {
    try {
      this.#locations.removeConnection(connectionId);
    } catch (err) {
      registrarLog.error({ err, connectionId }, "removing the bindings of a closed connection failed");
    }
  }

  #handle(req: SipRequest, flow: Flow): SipResponse | Promise<SipResponse> {
    // Step 1: the Request-URI names the domain, and so the tenant.
    const ruri = parseUri(req.uri);
    if (!ruri.ok || ruri.value.kind !== "sip") return reply(req, { status: 416 });
    const domain = this.#tenants.domain(ruri.value.host);
    if (domain === undefined) return reply(req, { status: 404, reason: "Not Found (unknown domain)" });

    // Step 3: extensions we cannot honour.
    const unsupported = getOptionTags(req, "require").filter((t) => !SUPPORTED.has(t.toLowerCase()));
    if (unsupported.length > 0) {
      return reply(req, { status: 420, headers: [["Unsupported", unsupported.join(", ")]] });
    }

    // Step 5 (checked before authenticating: it reveals nothing about users): the To AOR must be
    // of this domain. That it is the authenticated user's own is the authenticator's check.
    const to = getTo(req);
    const toUri = to === undefined ? undefined : parseSipUriString(to.uri);
    if (toUri === undefined || !toUri.ok || toUri.value.user === undefined) {
      return reply(req, { status: 404, reason: "Not Found (To is not an address of record)" });
    }
    if (toUri.value.host.toLowerCase() !== domain.name) {
      return reply(req, { status: 404, reason: "Not Found (To is not in the Request-URI domain)" });
    }

    // Step 4: authentication, bound to the To user.
    const auth = this.#auth.authenticate(req, flow, { proxy: false, domain });
    if (!auth.ok) return auth.response;

    const aor = aorOf(toUri.value.user, domain.name);
    const callId = getCallId(req);
    const cseq = getCSeq(req);
    if (callId === undefined || cseq === undefined) return reply(req, { status: 400 });

    // Step 6–7: Contacts and their expiry; nothing is changed unless all of them are acceptable.
    const contacts = getContacts(req);
    if (contacts.length === 0) return this.#ok(req, aor);
    const changes = this.#changes(req, contacts);
    if ("status" in changes) return reply(req, changes);
    return this.#locations
      .update({
        accountId: domain.accountId,
        domainId: domain.domainId,
        aor,
        callId,
        cseq: cseq.seq,
        source: flow,
        userAgent: getHeader(req, "user-agent"),
        contacts: changes.contacts,
      })
      .then((result) =>
        result.ok ? this.#ok(req, aor) : reply(req, { status: result.status, reason: result.reason }),
      );
  }

  /** Step 8: 200 with every current binding (a query when there was no Contact). */
  #ok(req: SipRequest, aor: string): SipResponse {
    const now = this.#now();
    const headers: HeaderInput[] = this.#locations
      .bindings(aor)
      .map((b) => ["Contact", contactValue(b, now)] as const);
    headers.push(["Date", new Date(now).toUTCString()]);
    return reply(req, { status: 200, headers });
  }

  #changes(req: SipRequest, contacts: Contact[]): { contacts: ContactChange[] | "*" } | Refusal {
    const headerExpires = getExpires(req);
    if (contacts.some((c) => c.star)) {
      // §10.2.2: `*` only alone and only with Expires: 0.
      if (contacts.length !== 1 || headerExpires !== 0) {
        return { status: 400, reason: "Bad Request (Contact: * needs to be alone, with Expires: 0)" };
      }
      return { contacts: "*" };
    }
    const changes: ContactChange[] = [];
    for (const c of contacts) {
      const parsed = parseSipUriString(c.uri);
      if (!parsed.ok) return { status: 400, reason: "Bad Request (Contact must be a sip or sips URI)" };
      let expires = c.expires ?? headerExpires ?? this.#default;
      if (expires !== 0 && expires < this.#min) {
        return { status: 423, headers: [["Min-Expires", String(this.#min)]] };
      }
      expires = Math.min(expires, this.#max);
      changes.push({
        uri: c.uri,
        parsed: parsed.value,
        expires,
        instanceId: c.params.get("+sip.instance") ?? undefined,
        regId: c.params.get("reg-id") ?? undefined,
        q: c.q,
      });
    }
    return { contacts: changes };
  }
}

function reply(req: SipRequest, r: Refusal): SipResponse {
  return createResponse(req, r.status, r.reason, {
    toTag: generateTag(),
    headers: [...(r.headers ?? []), ["Server", "Hookline"]],
  });
}

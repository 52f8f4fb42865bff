/**
 * Out-of-dialog MESSAGE between a tenant's registered users (RFC 3428 pager mode): authenticated
 * like an INVITE (407), sent to every contact of the recipient; the first 2xx (or else the last
 * failure) answers the sender. No call is created.
 */
import {
  createRequest,
  createResponse,
  generateBranch,
  generateCallId,
  generateTag,
  getFrom,
  getHeader,
  getTo,
  parseUri,
  type HeaderInput,
  type ServerTransaction,
  type SipRequest,
  type SipResponse,
  type TransactionLayer,
  type Transport,
} from "@hookline/sip-core";
import type { Flow } from "../transport/types.js";
import type { CallDirectory } from "./b2bua.js";
import type { LocalAddress } from "./leg.js";

export interface PagerOptions {
  layer: TransactionLayer;
  directory: CallDirectory;
  transportFor(flow: Flow): Transport;
  localAddress(flow: Flow): LocalAddress;
}

export async function relayMessage(
  o: PagerOptions,
  req: SipRequest,
  flow: Flow,
  tx: ServerTransaction,
): Promise<void> {
  const reply = (status: number, reason?: string) =>
    tx.respond(createResponse(req, status, reason, { toTag: generateTag() }));
  const from = getFrom(req);
  const fromUri = from && parseUri(from.uri);
  const domain =
    fromUri?.ok && fromUri.value.kind === "sip" ? o.directory.findDomain(fromUri.value.host) : undefined;
  if (!from || !domain) return reply(404, "Not Found");
  const auth = await o.directory.authenticate(req, flow, domain);
  if (!auth.ok) return tx.respond(auth.response);
  const target = parseUri(req.uri);
  if (!target.ok || target.value.kind !== "sip" || !target.value.user) return reply(404, "Not Found");
  if (target.value.host.toLowerCase() !== domain.name.toLowerCase()) return reply(404, "Not Found");
  const bindings = o.directory.lookup(domain, target.value.user);
  if (bindings.length === 0) return reply(480, "Temporarily Unavailable");

  let pending = bindings.length;
  let answered = false;
  let best: { status: number; reason: string | undefined } | undefined;
  const finish = (res: SipResponse | undefined, status: number) => {
    if (answered) return;
    if (status >= 200 && status < 300) {
      answered = true;
      return reply(status, res?.reason);
    }
    // RFC 3261 §16.7 step 6: a 6xx wins, else the lowest failure.
    if (!best || (status >= 600 && best.status < 600) || (best.status < 600 && status < best.status)) {
      best = { status, reason: res?.reason };
    }
    if (--pending === 0) {
      answered = true;
      reply(best.status, best.reason);
    }
  };
  const ct = getHeader(req, "content-type");
  for (const binding of bindings) {
    const local = o.localAddress(binding.flow);
    const headers: HeaderInput[] = [
      ["Via", `SIP/2.0/${local.transport} ${local.host}:${local.port};branch=${generateBranch()};rport`],
      ["Max-Forwards", "70"],
      ["From", `${from.displayName ? `"${from.displayName}" ` : ""}<${from.uri}>;tag=${generateTag()}`],
      ["To", `<${getTo(req)?.uri ?? req.uri}>`],
      ["Call-ID", generateCallId()],
      ["CSeq", "1 MESSAGE"],
      ...(binding.route ? [["Route", binding.route] as HeaderInput] : []),
      ...req.headers.filter((h) => h.key.startsWith("x-") && !h.key.startsWith("x-hookline-")),
    ];
    const out = createRequest({
      method: "MESSAGE",
      uri: binding.contact,
      headers,
      body: req.body,
      ...(ct && { contentType: ct }),
    });
    const ctx = o.layer.createClientTransaction(out, o.transportFor(binding.flow));
    ctx.on("response.received", (res: SipResponse) => res.status >= 200 && finish(res, res.status));
    ctx.on("transaction.timeout", () => finish(undefined, 408));
    ctx.on("transport.error", () => finish(undefined, 503));
    ctx.start();
  }
}

/**
 * The trunk route of a number a call the platform starts rings first (SPEC §5 `POST /v1/calls`,
 * SPEC §3 trunks): the named trunk, else the account's default; the number as written by the API
 * user (`+15551234567`, `(555) 123-4567`, `0015551234567`) made E.164 under that trunk's number
 * rules, exactly as a carrier's Request-URI user is (trunks/number-format.ts).
 */
import type { TrunkCalls, TrunkRoute } from "../trunks/outbound.js";
import { toE164 } from "../trunks/number-format.js";

export type NumberRoute = { ok: true; route: TrunkRoute } | { ok: false; status: 400 | 404; message: string };

export function numberRoute(
  trunks: TrunkCalls | undefined,
  accountId: string,
  to: { number: string; trunk?: string | undefined },
): NumberRoute {
  if (!trunks) return { ok: false, status: 404, message: "to.trunk: this gateway has no trunks" };
  const r = trunks.resolve(accountId, { number: to.number, ...(to.trunk && { trunk: to.trunk }) });
  if (!r) return { ok: false, status: 404, message: "to.trunk: no trunk for the number" };
  if (!r.ok)
    return {
      ok: false,
      status: 404,
      message: to.trunk
        ? `to.trunk: no trunk named ${to.trunk}`
        : "to.trunk: the account has no default trunk; name one",
    };
  const { trunk } = r.route;
  const e164 = toE164(to.number, trunk.numberFormat);
  if (!e164)
    return {
      ok: false,
      status: 400,
      message: `to.number: ${to.number} is not a number trunk ${trunk.name}'s rules make E.164`,
    };
  return { ok: true, route: { trunk, destination: e164 } };
}

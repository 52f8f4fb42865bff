import type { Flow } from "../transport/types.js";

/** RFC 1918, RFC 6598 (carrier-grade NAT), link-local, and IPv6 unique-local / link-local. */
const PRIVATE = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^169\.254\./,
  /^f[cd]/i,
  /^fe80:/i,
];

/**
 * Whether RTP can be sent to the SDP's address: not 0.0.0.0 (RFC 3264 §8.4 old hold), and not a
 * private address behind the NAT the signaling came through (then comedia latches instead).
 */
export function reachable(address: string, flow: Flow): boolean {
  if (address === "0.0.0.0" || address === "::") return false;
  if (address === flow.remoteAddress) return true;
  return !PRIVATE.some((re) => re.test(address));
}

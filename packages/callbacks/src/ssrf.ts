/**
 * SSRF rules for callback URLs (SPEC §6): checked at registration on the WHATWG-normalised URL
 * (which already turns `2130706433`, `0x7f000001` and `0177.0.0.1` into `127.0.0.1`) and again at
 * connect time on every resolved address (see `http/guarded-connector.ts`).
 */
import { BlockList, isIP } from "node:net";

export type AddressCheck = { ok: true } | { ok: false; reason: string };

interface Range {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
  readonly label: string;
}

/** IANA special-purpose ranges a webhook must never reach. */
const BLOCKED: readonly Range[] = [
  { address: "0.0.0.0", prefix: 8, family: "ipv4", label: "unspecified ('this network')" },
  { address: "10.0.0.0", prefix: 8, family: "ipv4", label: "private (RFC 1918)" },
  { address: "100.64.0.0", prefix: 10, family: "ipv4", label: "carrier-grade NAT (RFC 6598)" },
  { address: "127.0.0.0", prefix: 8, family: "ipv4", label: "loopback" },
  { address: "169.254.169.254", prefix: 32, family: "ipv4", label: "cloud metadata" },
  { address: "169.254.0.0", prefix: 16, family: "ipv4", label: "link-local" },
  { address: "172.16.0.0", prefix: 12, family: "ipv4", label: "private (RFC 1918)" },
  { address: "192.0.0.0", prefix: 24, family: "ipv4", label: "IETF protocol assignments" },
  { address: "192.0.2.0", prefix: 24, family: "ipv4", label: "documentation" },
  { address: "192.168.0.0", prefix: 16, family: "ipv4", label: "private (RFC 1918)" },
  { address: "198.18.0.0", prefix: 15, family: "ipv4", label: "benchmarking" },
  { address: "198.51.100.0", prefix: 24, family: "ipv4", label: "documentation" },
  { address: "203.0.113.0", prefix: 24, family: "ipv4", label: "documentation" },
  { address: "224.0.0.0", prefix: 4, family: "ipv4", label: "multicast" },
  { address: "255.255.255.255", prefix: 32, family: "ipv4", label: "broadcast" },
  { address: "240.0.0.0", prefix: 4, family: "ipv4", label: "reserved" },
  { address: "::", prefix: 128, family: "ipv6", label: "unspecified" },
  { address: "::1", prefix: 128, family: "ipv6", label: "loopback" },
  { address: "::ffff:0:0", prefix: 96, family: "ipv6", label: "IPv4-mapped IPv6" },
  { address: "::", prefix: 96, family: "ipv6", label: "IPv4-compatible IPv6" },
  { address: "64:ff9b::", prefix: 96, family: "ipv6", label: "NAT64" },
  { address: "64:ff9b:1::", prefix: 48, family: "ipv6", label: "NAT64 (local use)" },
  { address: "100::", prefix: 64, family: "ipv6", label: "discard-only" },
  { address: "2001:db8::", prefix: 32, family: "ipv6", label: "documentation" },
  { address: "fc00::", prefix: 7, family: "ipv6", label: "unique local (ULA)" },
  { address: "fe80::", prefix: 10, family: "ipv6", label: "link-local" },
  { address: "fec0::", prefix: 10, family: "ipv6", label: "site-local" },
  { address: "ff00::", prefix: 8, family: "ipv6", label: "multicast" },
];

const blockLists = BLOCKED.map((r) => {
  const list = new BlockList();
  list.addSubnet(r.address, r.prefix, r.family);
  return { list, range: r };
});

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * The one spelling of a host that the rules compare: no IPv6 brackets, lower case, and no trailing
 * dot. `localhost.` is the fully qualified `localhost` (RFC 1034 §3.1), and the WHATWG parser keeps
 * the dot, so without this `http://localhost./` or `http://intranet./` would pass as public names.
 */
export function normalizeHost(host: string): string {
  return stripBrackets(host).toLowerCase().replace(/\.+$/, "");
}

/** Why an IP address is not a public unicast address, or ok. */
export function checkAddress(address: string): AddressCheck {
  const ip = stripBrackets(address);
  const v = isIP(ip);
  if (v === 0) return { ok: false, reason: `"${address}" is not an IP address` };
  const family = v === 4 ? "ipv4" : "ipv6";
  for (const { list, range } of blockLists) {
    // An IPv6 rule also matches every IPv4 address (BlockList compares IPv4 as ::ffff:a.b.c.d), so
    // IPv6 rules apply to IPv6 addresses only; IPv4 rules match IPv4-mapped IPv6 addresses too.
    if (range.family === "ipv6" && family === "ipv4") continue;
    if (list.check(ip, family)) {
      return { ok: false, reason: `address ${ip} is ${range.label} (${range.address}/${range.prefix})` };
    }
  }
  return { ok: true };
}

/** Operator allow-list (`HOOKLINE_CALLBACK_ALLOWLIST`): hosts, `host:port`s and CIDRs. */
export interface Allowlist {
  readonly entries: readonly string[];
  /** Whether this host (name or IP, as in the URL) and port are allowed despite the SSRF rules. */
  allowsHost(host: string, port: number): boolean;
  /** Whether a resolved address falls in an allowed CIDR or is an allowed IP (any port given). */
  allowsAddress(address: string, port: number): boolean;
}

export type AllowlistParse = { ok: true; allowlist: Allowlist } | { ok: false; error: string };

interface HostEntry {
  host: string;
  port: number | null;
}

export function parseAllowlist(spec: string | readonly string[] | undefined): AllowlistParse {
  const raw = (typeof spec === "string" ? spec.split(",") : (spec ?? []))
    .map((s) => s.trim())
    .filter(Boolean);
  const hosts: HostEntry[] = [];
  const cidrs = new BlockList();
  for (const entry of raw) {
    const slash = entry.indexOf("/");
    if (slash >= 0) {
      const addr = stripBrackets(entry.slice(0, slash));
      const prefix = Number(entry.slice(slash + 1));
      const v = isIP(addr);
      if (v === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (v === 4 ? 32 : 128)) {
        return { ok: false, error: `allow-list entry "${entry}" is not a valid CIDR` };
      }
      cidrs.addSubnet(addr, prefix, v === 4 ? "ipv4" : "ipv6");
      continue;
    }
    let parsed: URL;
    try {
      parsed = new URL(`http://${entry}`);
    } catch {
      return { ok: false, error: `allow-list entry "${entry}" is not a host, host:port or CIDR` };
    }
    if (parsed.pathname !== "/" || parsed.username || parsed.search) {
      return { ok: false, error: `allow-list entry "${entry}" is not a host, host:port or CIDR` };
    }
    hosts.push({ host: normalizeHost(parsed.hostname), port: parsed.port ? Number(parsed.port) : null });
  }
  const hostMatches = (host: string, port: number) => {
    const h = normalizeHost(host);
    return hosts.some((e) => e.host === h && (e.port === null || e.port === port));
  };
  const allowlist: Allowlist = {
    entries: raw,
    allowsHost: (host, port) => {
      if (hostMatches(host, port)) return true;
      const ip = normalizeHost(host);
      const v = isIP(ip);
      return v !== 0 && cidrs.check(ip, v === 4 ? "ipv4" : "ipv6");
    },
    allowsAddress: (address, port) => {
      const ip = stripBrackets(address);
      const v = isIP(ip);
      if (v === 0) return false;
      return hostMatches(ip, port) || cidrs.check(ip, v === 4 ? "ipv4" : "ipv6");
    },
  };
  return { ok: true, allowlist };
}

export const EMPTY_ALLOWLIST: Allowlist = (() => {
  const r = parseAllowlist([]);
  if (!r.ok) throw new Error("unreachable");
  return r.allowlist;
})();

export type CallbackUrlCheck = { ok: true; url: URL; allowlisted: boolean } | { ok: false; reason: string };

export function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/**
 * Registration-time check. Names are checked for obvious local forms here and resolved at
 * connect time; IP literals (in every numeric spelling) are checked now.
 */
export function checkCallbackUrl(url: string, options: { allowlist?: Allowlist } = {}): CallbackUrlCheck {
  const allowlist = options.allowlist ?? EMPTY_ALLOWLIST;
  if (typeof url !== "string" || url.length === 0) return { ok: false, reason: "url is empty" };
  if (url.length > 2048) return { ok: false, reason: "url is longer than 2048 characters" };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "url is not a valid absolute URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { ok: false, reason: `url scheme ${parsed.protocol} is not http: or https:` };
  }
  if (parsed.username || parsed.password) {
    return { ok: false, reason: "url must not carry credentials; the request is signed instead" };
  }
  const host = normalizeHost(parsed.hostname);
  if (host === "") return { ok: false, reason: "url has no host" };
  const port = defaultPort(parsed);
  if (allowlist.allowsHost(host, port)) return { ok: true, url: parsed, allowlisted: true };
  if (isIP(host) !== 0) {
    const r = checkAddress(host);
    if (!r.ok) return { ok: false, reason: `url host ${r.reason}` };
    return { ok: true, url: parsed, allowlisted: false };
  }
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || !host.includes(".")) {
    return { ok: false, reason: `url host "${host}" is a local name` };
  }
  return { ok: true, url: parsed, allowlisted: false };
}

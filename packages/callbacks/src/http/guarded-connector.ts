/**
 * Connect-time SSRF guard (SPEC §6). The host of every connection is resolved once, here; every
 * resolved address is checked; the socket is then opened to the checked address itself (TLS
 * still verifies and sends SNI for the original name). DNS rebinding cannot slip a private address
 * in between the check and the connect, because no second lookup happens.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { buildConnector } from "undici";
import type { Logger } from "../logger.js";
import type { Allowlist } from "../ssrf.js";
import { checkAddress, normalizeHost } from "../ssrf.js";

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export class SsrfBlockedError extends Error {
  readonly code = "HOOKLINE_SSRF_BLOCKED";
  constructor(message: string) {
    super(message);
    this.name = "SsrfBlockedError";
  }
}

export interface GuardedConnectorOptions {
  allowlist: Allowlist;
  logger: Logger;
  connectTimeoutMs: number;
  resolver?: Resolver;
}

export function guardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const base = buildConnector({ timeout: options.connectTimeoutMs });
  const resolve = options.resolver ?? systemResolver;
  const { allowlist, logger } = options;
  let allowlistLogged = false;
  const logAllowlisted = (host: string) => {
    if (allowlistLogged) return;
    allowlistLogged = true;
    logger.warn(
      { host, allowlist: allowlist.entries },
      "callback destination allowed by the operator allow-list",
    );
  };

  return (opts, callback) => {
    // The same spelling the registration checked (`localhost.` is `localhost`), so the allow-list,
    // the resolver and SNI all see one name.
    const hostname = normalizeHost(opts.hostname);
    const port = Number(opts.port) || (opts.protocol === "https:" ? 443 : 80);
    const pick = async (): Promise<string> => {
      if (allowlist.allowsHost(hostname, port)) {
        logAllowlisted(hostname);
        if (isIP(hostname) !== 0) return hostname;
        const [first] = await resolve(hostname);
        if (first === undefined) throw new Error(`${hostname} did not resolve`);
        return first;
      }
      const addresses = isIP(hostname) !== 0 ? [hostname] : await resolve(hostname);
      if (addresses.length === 0) throw new Error(`${hostname} did not resolve`);
      for (const address of addresses) {
        if (allowlist.allowsAddress(address, port)) continue;
        const r = checkAddress(address);
        if (!r.ok) throw new SsrfBlockedError(`refused to connect to ${hostname}: ${r.reason}`);
      }
      return addresses[0] as string;
    };
    pick().then(
      (address) =>
        base(
          { ...opts, hostname: address, servername: opts.servername ?? servernameFor(hostname) },
          callback,
        ),
      (err: Error) => callback(err, null),
    );
  };
}

/** SNI must be a DNS name, never an IP literal (RFC 6066 §3). */
function servernameFor(hostname: string): string | undefined {
  return isIP(hostname) === 0 ? hostname : undefined;
}

/**
 * What call routing (the B2BUA, MESSAGE relay) asks of tenancy, auth and the location service,
 * in one object: the tenant of a domain, the contacts of a user, and the caller's authentication
 * (407 + Proxy-Authenticate, RFC 3261 §22.3; the authenticated user must be the From user).
 */
import type { SipRequest, SipResponse } from "@hookline/sip-core";
import type { SipAuthenticator } from "../auth/sip-authenticator.js";
import type { Binding } from "../registrar/binding.js";
import type { LocationService } from "../registrar/location-service.js";
import type { Flow } from "../transport/types.js";
import type { TenantDirectory, TenantDomain } from "./tenant-directory.js";

export interface CallDirectoryParts {
  readonly tenants: TenantDirectory;
  readonly authenticator: SipAuthenticator;
  readonly locations: LocationService;
}

export interface TenantCallDirectory {
  findDomain(name: string): TenantDomain | undefined;
  lookup(domain: TenantDomain, user: string): Binding[];
  authenticate(
    req: SipRequest,
    flow: Flow,
    domain: TenantDomain,
  ): Promise<{ ok: true; username: string } | { ok: false; response: SipResponse }>;
}

export function createCallDirectory(parts: CallDirectoryParts): TenantCallDirectory {
  const { tenants, authenticator, locations } = parts;
  return {
    findDomain: (name) => tenants.domain(name),
    lookup: (domain, user) => locations.lookup(domain.name, user),
    authenticate: (req, flow, domain) =>
      Promise.resolve(authenticator.authenticate(req, flow, { proxy: true, domain })),
  };
}

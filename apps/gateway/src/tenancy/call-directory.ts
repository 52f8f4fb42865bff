/**
 * What call routing (the B2BUA, MESSAGE relay) asks of tenancy, auth and the location service,
 * in one object: the tenant of a domain, the contacts of a user, and the caller's authentication
 * (407 + Proxy-Authenticate, RFC 3261 §22.3; the authenticated user must be the From user).
 */
import type { CallDirectory } from "../b2bua/ports.js";
import type { SipAuthenticator } from "../auth/sip-authenticator.js";
import type { RemoteBindings } from "../cluster/remote-bindings.js";
import type { LocationService } from "../registrar/location-service.js";
import type { TenantDirectory } from "./tenant-directory.js";

export interface CallDirectoryParts {
  readonly tenants: TenantDirectory;
  readonly authenticator: SipAuthenticator;
  readonly locations: LocationService;
  /** The user's contacts other nodes of a cluster hold, rung with this node's (relay.ts). */
  readonly elsewhere?: RemoteBindings | undefined;
}

export function createCallDirectory(parts: CallDirectoryParts): CallDirectory {
  const { tenants, authenticator, locations, elsewhere } = parts;
  return {
    findDomain: (name) => tenants.domain(name),
    lookup: elsewhere
      ? (domain, user) => {
          const remote = elsewhere(domain.name, user);
          const local = locations.lookup(domain.name, user);
          if (remote.length === 0) return local;
          // A contact that registered again on another node is rung there only: its row says so.
          const moved = new Set(remote.map((b) => b.contact));
          return [...local.filter((b) => !moved.has(b.contact)), ...remote];
        }
      : (domain, user) => locations.lookup(domain.name, user),
    userExists: (domain, user) => tenants.ha1(domain.domainId, user) !== undefined,
    authenticate: (req, flow, domain) =>
      Promise.resolve(authenticator.authenticate(req, flow, { proxy: true, domain })),
  };
}

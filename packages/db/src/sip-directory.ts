import { and, eq, gt, sql } from "drizzle-orm";
import type { Database } from "./open-database.js";
import { credentials, domains, registrations } from "./schema/sip.js";
import type { Credential, Domain, Registration } from "./schema/sip.js";

export type NewBinding = Omit<Registration, "createdAt" | "updatedAt" | "nodeId" | "path"> & {
  now: number;
  nodeId?: string | null;
  path?: string | null;
};

/**
 * The registrar's and router's per-message lookups, as statements prepared once per database:
 * every REGISTER and INVITE runs them, so they should not be re-planned each time.
 */
export interface SipDirectory {
  /** The domain (and so the tenant) a request-URI or To host belongs to. */
  domainByName(name: string): Domain | undefined;
  /** Digest credential of `username` in `domainId` (HA1s, never a password). */
  credential(domainId: string, username: string): Credential | undefined;
  /** Unexpired bindings of an address of record (RFC 3261 §10.3, step 8). */
  activeBindings(aor: string, now: number): Registration[];
  /** Adds or refreshes the binding of (aor, contact); keeps its id and createdAt on refresh. */
  saveBinding(binding: NewBinding): Registration;
  /** Removes one binding (Expires: 0) or, without `contact`, all of an AOR (`Contact: *`). */
  removeBindings(aor: string, contact?: string): number;
}

export function createSipDirectory(db: Database): SipDirectory {
  const byName = db
    .select()
    .from(domains)
    .where(eq(domains.name, sql.placeholder("name")))
    .prepare();
  const credential = db
    .select()
    .from(credentials)
    .where(
      and(
        eq(credentials.domainId, sql.placeholder("domainId")),
        eq(credentials.username, sql.placeholder("username")),
      ),
    )
    .prepare();
  const active = db
    .select()
    .from(registrations)
    .where(
      and(eq(registrations.aor, sql.placeholder("aor")), gt(registrations.expiresAt, sql.placeholder("now"))),
    )
    .orderBy(registrations.createdAt, registrations.contact)
    .prepare();

  return {
    domainByName: (name) => byName.get({ name: name.toLowerCase() }),
    credential: (domainId, username) => credential.get({ domainId, username }),
    activeBindings: (aor, now) => active.all({ aor, now }),
    saveBinding: ({ now, ...b }) => {
      const row = { ...b, createdAt: now, updatedAt: now };
      const { id: _id, createdAt: _createdAt, ...refresh } = row;
      return db
        .insert(registrations)
        .values(row)
        .onConflictDoUpdate({ target: [registrations.aor, registrations.contact], set: refresh })
        .returning()
        .get();
    },
    removeBindings: (aor, contact) =>
      db
        .delete(registrations)
        .where(
          contact === undefined
            ? eq(registrations.aor, aor)
            : and(eq(registrations.aor, aor), eq(registrations.contact, contact)),
        )
        .run().changes,
  };
}

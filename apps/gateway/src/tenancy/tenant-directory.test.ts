import { domains, eq } from "@hookline/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTenant, clock, tempDatabase } from "../registrar/test-support.js";
import type { Clock } from "../registrar/test-support.js";
import { TenantDirectory } from "./tenant-directory.js";

let temp: ReturnType<typeof tempDatabase>;
let time: Clock;

beforeEach(() => {
  temp = tempDatabase();
  time = clock();
});
afterEach(() => temp.close());

describe("TenantDirectory", () => {
  it("finds a domain case-insensitively, and HA1s per (domain, username)", () => {
    const t = addTenant(temp.database, "acme.sip.example", { alice: "secret" });
    const dir = new TenantDirectory(temp.database.db, { now: time.now });
    expect(dir.domain("Acme.SIP.example")).toEqual({
      domainId: t.domainId,
      accountId: t.accountId,
      name: "acme.sip.example",
    });
    expect(dir.domain("nowhere.example")).toBeUndefined();
    expect(dir.ha1(t.domainId, "alice")?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(dir.ha1(t.domainId, "mallory")).toBeUndefined();
  });

  it("never caches a miss: a domain created through the API works at once", () => {
    const dir = new TenantDirectory(temp.database.db, { now: time.now });
    expect(dir.domain("new.example")).toBeUndefined();
    addTenant(temp.database, "new.example", { u: "p" });
    expect(dir.domain("new.example")).toBeDefined();
  });

  it("serves a hit from the cache for ttlMs, then reads the database again", () => {
    const t = addTenant(temp.database, "acme.sip.example", {});
    const dir = new TenantDirectory(temp.database.db, { now: time.now, ttlMs: 3000 });
    expect(dir.domain("acme.sip.example")?.domainId).toBe(t.domainId);
    temp.database.db.delete(domains).where(eq(domains.id, t.domainId)).run();
    time.advance(2999);
    expect(dir.domain("acme.sip.example")?.domainId).toBe(t.domainId);
    time.advance(1);
    expect(dir.domain("acme.sip.example")).toBeUndefined();
  });
});

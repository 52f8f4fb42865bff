import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newId } from "./ids.js";
import { openDatabase } from "./open-database.js";
import type { OpenedDatabase } from "./open-database.js";
import { accounts, credentials, domains } from "./schema/index.js";
import { createSipDirectory } from "./sip-directory.js";

let dir: string;
let database: OpenedDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookline-dir-"));
  database = openDatabase({ file: join(dir, "hookline.db") });
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

function seed() {
  const { db } = database;
  const acc = newId("acc");
  const dom = newId("dom");
  db.insert(accounts).values({ id: acc, name: "A", createdAt: 1 }).run();
  db.insert(domains)
    .values({ id: dom, accountId: acc, name: "acme.sip.example", createdAt: 1, updatedAt: 1 })
    .run();
  db.insert(credentials)
    .values({
      id: newId("cred"),
      accountId: acc,
      domainId: dom,
      username: "alice",
      realm: "acme.sip.example",
      ha1Md5: "m",
      ha1Sha256: "s",
      createdAt: 1,
    })
    .run();
  return { acc, dom };
}

describe("createSipDirectory", () => {
  it("finds a domain case-insensitively and a credential by domain and username", () => {
    const { dom } = seed();
    const directory = createSipDirectory(database.db);
    expect(directory.domainByName("ACME.sip.example")?.id).toBe(dom);
    expect(directory.domainByName("other.example")).toBeUndefined();
    expect(directory.credential(dom, "alice")).toMatchObject({ ha1Md5: "m", ha1Sha256: "s" });
    expect(directory.credential(dom, "Alice")).toBeUndefined();
  });

  it("saves, refreshes, lists unexpired and removes bindings", () => {
    const { acc, dom } = seed();
    const directory = createSipDirectory(database.db);
    const aor = "sip:alice@acme.sip.example";
    const base = {
      accountId: acc,
      domainId: dom,
      aor,
      transport: "ws" as const,
      source: "203.0.113.7:5000",
      instanceId: null,
      connectionId: "ws-1",
      sipCallId: "c1",
      cseq: 1,
      userAgent: null,
    };
    const first = directory.saveBinding({
      ...base,
      id: newId("reg"),
      contact: "<sip:a@h1>",
      expiresAt: 2000,
      now: 1000,
    });
    directory.saveBinding({ ...base, id: newId("reg"), contact: "<sip:a@h2>", expiresAt: 1500, now: 1000 });
    const refreshed = directory.saveBinding({
      ...base,
      id: newId("reg"),
      contact: "<sip:a@h1>",
      expiresAt: 5000,
      cseq: 2,
      now: 1400,
    });
    expect(refreshed).toMatchObject({
      id: first.id,
      createdAt: 1000,
      updatedAt: 1400,
      expiresAt: 5000,
      cseq: 2,
    });

    expect(directory.activeBindings(aor, 1200).map((b) => b.contact)).toEqual(["<sip:a@h1>", "<sip:a@h2>"]);
    expect(directory.activeBindings(aor, 1600).map((b) => b.contact)).toEqual(["<sip:a@h1>"]);
    expect(directory.removeBindings(aor, "<sip:a@h1>")).toBe(1);
    expect(directory.removeBindings(aor)).toBe(1);
    expect(directory.activeBindings(aor, 0)).toEqual([]);
  });
});

/**
 * Roles composed in-process (SPEC §2): a process without the gateway role has no gateway and no
 * SIP ports, and a second process taking the id of a node that is still beating is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { startHookline, type Hookline } from "../server.js";
import { NodeIdInUseError } from "./presence.js";

const dirs: string[] = [];
const running: Hookline[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.close();
});
// At the end: a database closed moments after opening still has its checkpoint thread starting.
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function config(dataDir: string, roles: string, nodeId: string) {
  return loadConfig({
    HOOKLINE_DATA_DIR: dataDir,
    HOOKLINE_HTTP_PORT: "0",
    HOOKLINE_ROLES: roles,
    HOOKLINE_NODE_ID: nodeId,
    HOOKLINE_HEARTBEAT_MS: "50",
  });
}

describe("HOOKLINE_ROLES in one process", () => {
  it("console and delivery without the gateway: no gateway, no SIP ports, the node announced with its HTTP address", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hookline-roles-"));
    dirs.push(dir);
    const h = await startHookline(config(dir, "console,delivery", "ops-1"));
    running.push(h);
    expect(h.gateway).toBeUndefined();
    expect(h.ports).toMatchObject({ sip: 0, ws: 0 });
    const res = await fetch(`http://127.0.0.1:${h.ports.http}/v1/cluster`, {
      headers: { authorization: `Bearer ${h.operatorToken.token}` },
    });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({
        id: "ops-1",
        roles: ["console", "delivery"],
        state: "up",
        sipAddress: null,
        httpAddress: `127.0.0.1:${h.ports.http}`,
      }),
    ]);
  });

  it("refuses to start with the id of a node that is still beating", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hookline-roles-"));
    dirs.push(dir);
    running.push(await startHookline(config(dir, "delivery", "twin")));
    await expect(startHookline(config(dir, "delivery", "twin"))).rejects.toThrow(NodeIdInUseError);
  });

  it("a graceful stop takes the node out of the table (nothing to claim)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hookline-roles-"));
    dirs.push(dir);
    const a = await startHookline(config(dir, "console", "a"));
    running.push(a);
    const b = await startHookline(config(dir, "delivery", "b"));
    await b.close();
    const res = await fetch(`http://127.0.0.1:${a.ports.http}/v1/cluster`, {
      headers: { authorization: `Bearer ${a.operatorToken.token}` },
    });
    expect(((await res.json()) as { data: Array<{ id: string }> }).data.map((n) => n.id)).toEqual(["a"]);
  });
});

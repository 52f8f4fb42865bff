/**
 * The README's example application (`examples/steer-app.mjs`) steers real calls (SPEC §5): it runs
 * as its own Node process, exactly as a newcomer starts it, verifies Hookline's signature, sends
 * calls for `sales` to alice and declines the rest.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { SessionState } from "sip.js";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodePhone, sessionState, startStack, type Stack } from "./src/index.js";
import { lastEndedCall } from "./src/application-app.js";

const DOMAIN = "example.test";
const EXAMPLE = fileURLToPath(new URL("../examples/steer-app.mjs", import.meta.url));

/** A port free a moment ago on 127.0.0.1: the example is told its port, as the README says. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe("examples/steer-app.mjs steers calls (README: Steer calls with your application)", () => {
  let stack: Stack;
  let apiKey: string;
  let child: ChildProcess;
  let output = "";
  let appUrl: string;
  let secret: string;
  let alice: NodePhone;
  let bob: NodePhone;

  /** Resolves once the example has printed a line matching `re`. */
  const printed = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = output.split("\n").find((l) => re.test(l));
        if (line === undefined) return false;
        child.stdout?.off("data", check);
        child.off("exit", exited);
        resolve(line);
        return true;
      };
      const exited = (code: number | null) => reject(new Error(`example exited (${code}): ${output}`));
      if (check()) return;
      child.stdout?.on("data", check);
      child.once("exit", exited);
    });

  const lastCall = () => lastEndedCall(stack, apiKey);

  beforeAll(async () => {
    stack = await startStack();
    const tenant = await stack.tenant(DOMAIN, ["alice", "bob"]);
    apiKey = tenant.apiKey;
    // As in the README: point the domain at the application, keep the secret, start the app.
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}/`;
    const patched = await stack.api<{ secret?: string }>(
      "PATCH",
      `/v1/domains/${tenant.domainId}`,
      { applicationUrl: appUrl },
      apiKey,
    );
    expect(patched.status).toBe(200);
    expect(patched.body.secret).toMatch(/^whsec_/);
    secret = patched.body.secret!;
    child = spawn(process.execPath, [EXAMPLE], {
      env: { PATH: process.env.PATH, PORT: String(port), HOOK_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    expect(await printed(/steer-app listening on/)).toContain(appUrl);
    alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain: DOMAIN });
    bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain: DOMAIN });
  });

  afterAll(async () => {
    for (const p of [alice, bob]) await p?.stop();
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await exited;
    }
    await stack?.close();
  });

  it("rings alice when bob calls sales, and prints the call.incoming it received", async () => {
    const inviter = bob.call(`sip:sales@${DOMAIN}`);
    const invitation = await alice.nextInvitation();
    expect(invitation.request.from.uri.user).toBe("bob");
    await invitation.accept();
    await sessionState(inviter, SessionState.Established);
    await inviter.bye();
    await sessionState(invitation, SessionState.Terminated);

    expect(await printed(/^call\.incoming /)).toBe(
      `call.incoming sip:bob@${DOMAIN} -> sip:sales@${DOMAIN} via ws`,
    );
    const call = await lastCall();
    expect(call.state).toBe("completed");
    expect(call.hooks).toMatchObject([
      { kind: "application", eventType: "call.incoming", status: 200, error: null },
    ]);
  });

  it("declines calls to anyone else with 603, recorded as a failed call", async () => {
    expect(await alice.callForStatus(`sip:bob@${DOMAIN}`)).toBe(603);
    const call = await lastCall();
    expect(call).toMatchObject({ state: "failed", endStatus: 603, reason: "rejected" });
  });

  it("answers only requests signed with the domain's secret within 5 minutes", async () => {
    const body = JSON.stringify({
      type: "call.incoming",
      data: { from: "sip:eve@elsewhere", to: `sip:sales@${DOMAIN}`, source: { transport: "udp" } },
    });
    const post = (at: Date, signature?: string) =>
      fetch(appUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": "msg_test",
          "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
          "webhook-signature": signature ?? new Webhook(secret).sign("msg_test", at, body),
        },
        body,
      });
    const now = new Date();
    const signed = await post(now);
    expect(signed.status).toBe(200);
    expect(await signed.json()).toEqual({ actions: [{ action: "dial", to: "alice" }] });
    const forged = await post(now, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    expect(forged.status).toBe(401);
    const replayed = await post(new Date(now.getTime() - 10 * 60_000));
    expect(replayed.status).toBe(401);
  });
});

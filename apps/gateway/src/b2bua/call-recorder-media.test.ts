import { EventBus, type HooklineEvent, type MediaEvent } from "@hookline/callbacks";
import { afterEach, describe, expect, it } from "vitest";
import { addTenant, DOMAIN, tempDatabase } from "../registrar/test-support.js";
import { CallRecorder } from "./call-recorder.js";

describe("CallRecorder: media events (SPEC §4 media.started, media.timeout)", () => {
  const temps: ReturnType<typeof tempDatabase>[] = [];
  afterEach(() => {
    for (const t of temps.splice(0)) t.close();
  });

  it("publishes them in the call's seq order while the call goes on, and drops them after its end", () => {
    const temp = tempDatabase();
    temps.push(temp);
    const tenant = addTenant(temp.database, DOMAIN, {});
    const bus = new EventBus();
    const seen: HooklineEvent[] = [];
    bus.on("event", (e) => seen.push(e));
    const media: MediaEvent[] = [];
    bus.on("media", (e) => media.push(e));
    const recorder = new CallRecorder(temp.database.db, bus);
    const call = recorder.createCall({
      accountId: tenant.accountId,
      domainId: tenant.domainId,
      sipCallId: "m1@test",
      from: "sip:alice@x",
      to: "sip:bob@x",
    });
    recorder.initiated(call);
    const source = { address: "127.0.0.1", port: 6000 };
    recorder.media(call.id, "media.started", {
      legId: "leg_b",
      direction: "received",
      codec: "PCMA",
      source,
    });
    recorder.media(call.id, "media.timeout", {
      legId: "leg_b",
      direction: "received",
      codec: "PCMA",
      source,
      silentMs: 30_000,
    });
    recorder.setState(call, "completed", { reason: "media-timeout" });
    recorder.media(call.id, "media.started", { legId: "leg_a", direction: "sent", codec: "PCMA", source });
    void recorder.flush(); // synchronous on SQLite

    expect(seen.map((e) => `${"seq" in e.data ? e.data.seq : "-"} ${e.type}`)).toEqual([
      "1 call.initiated",
      "2 media.started",
      "3 media.timeout",
      "4 call.completed",
    ]);
    expect(media[0]?.data).toMatchObject({
      accountId: tenant.accountId,
      callId: call.id,
      media: { legId: "leg_b", direction: "received", codec: "PCMA", source },
      call: { id: call.id, state: "initiated" },
    });
    expect(media[1]?.data.media.silentMs).toBe(30_000);
  });
});

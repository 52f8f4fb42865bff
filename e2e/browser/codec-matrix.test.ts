/**
 * The codec matrix between a browser leg (sip.js in Chromium: offers opus, G722, PCMU, PCMA) and an
 * RTP leg (SIPp, its SDP without a=ssrc), both ways. mediasoup relays without transcoding, so both
 * legs must use one codec: the RTP phone's codecs decide it, and a call with no common codec fails
 * with 488 Not Acceptable Here and a Warning naming each side's codecs (RFC 3261 §20.43).
 *
 * SIPp does the signaling; the phone's audio comes from a UDP endpoint at the port SIPp's SDP names
 * (e2e/src/rtp-phone.ts), since SIPp plays only PCMU/PCMA pcaps. Each carried call is shown by the
 * SDP each leg got, the browser's inbound-rtp packets and codec, and the phone's received packets
 * of the chosen payload type. One browser serves every case.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaCensus } from "@hookline/gateway";
import { startStack, type Stack } from "../src/index.js";
import { rtpPhone, type RtpPhone } from "../src/rtp-phone.js";
import { startSipp, type SippProcess } from "../src/sipp.js";
import { launchChromium, SoftphonePage, type Browser } from "./chromium.js";

const DOMAIN = "codecs.test";
const PTIME = "a=ptime:20";
const OPUS = "a=rtpmap:111 opus/48000/2";

type CodecName = "PCMU" | "PCMA" | "G722" | "opus";

interface Case {
  /** Payload types in the phone's SDP, in its order of preference. */
  pts: string;
  /** One attribute line: the rtpmap of a dynamic payload type, else a=ptime. */
  rtpmap: string;
  /** The codec the call must carry (its payload type on the phone's side), or a 488. */
  carried: { codec: CodecName; pt: number } | "488";
}

const ONE_EACH: [string, Case][] = [
  ["PCMU", { pts: "0", rtpmap: PTIME, carried: { codec: "PCMU", pt: 0 } }],
  ["PCMA", { pts: "8", rtpmap: PTIME, carried: { codec: "PCMA", pt: 8 } }],
  ["G722", { pts: "9", rtpmap: PTIME, carried: { codec: "G722", pt: 9 } }],
  ["opus", { pts: "111", rtpmap: OPUS, carried: { codec: "opus", pt: 111 } }],
];

interface CallDetail {
  id: string;
  state: string;
  reason: string | null;
  messages: {
    direction: "sent" | "received";
    method: string | null;
    status: number | null;
    headers: Record<string, string | string[]>;
    body: string | null;
  }[];
}

describe("codec matrix: browser ↔ RTP phone through mediasoup, no transcoding", () => {
  let stack: Stack;
  let key: string;
  let browser: Browser;
  let bob: SoftphonePage;
  const seen = new Set<string>();

  beforeAll(async () => {
    stack = await startStack();
    ({ apiKey: key } = await stack.tenant(DOMAIN, ["bob", "sipp", "desk"]));
    browser = await launchChromium();
    bob = await SoftphonePage.open(browser.context, `http://127.0.0.1:${stack.h.ports.http}`);
    await bob.register(stack.wsUrl, "bob", DOMAIN, "bob-secret");
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const get = async <T>(path: string) => (await stack.api<T>("GET", path, undefined, key)).body;

  /** The call that started after every call seen so far. */
  async function newCall(): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(async () => {
        id = (await get<{ data: { id: string }[] }>("/v1/calls?limit=1")).data[0]?.id;
        return id !== undefined && !seen.has(id);
      })
      .toBe(true);
    seen.add(id!);
    return id!;
  }

  /** Polls the call's record until `pick` finds what it looks for. */
  async function fromCall<T>(id: string, pick: (c: CallDetail) => T | undefined): Promise<T> {
    let found: T | undefined;
    await expect
      .poll(async () => (found = pick(await get<CallDetail>(`/v1/calls/${id}`))) !== undefined)
      .toBe(true);
    return found!;
  }

  /** The SDP the gateway sent toward the phone (RTP/AVP) or the browser (SAVPF): port and payload types. */
  const sdpSent = (id: string, profile: "RTP/AVP" | "UDP/TLS/RTP/SAVPF") =>
    fromCall(id, (c) => {
      const m = c.messages
        .filter((x) => x.direction === "sent" && x.body)
        .map((x) =>
          new RegExp(`^m=audio (\\d+) ${profile.replace(/\//g, "\\/")} ([\\d ]+)\\r?$`, "m").exec(x.body!),
        )
        .find(Boolean);
      return m ? { port: Number(m[1]), pts: m[2]!.trim().split(" ").map(Number) } : undefined;
    });

  /** The 488 the caller got: its Warning, and the call's recorded state and reason. */
  async function refusal(id: string) {
    const warning = await fromCall(id, (c) => {
      const res = c.messages.find((x) => x.direction === "sent" && x.status === 488);
      return res ? String(res.headers.warning) : undefined;
    });
    const call = await fromCall(id, (c) => (c.state === "failed" ? c : undefined));
    return { warning, reason: call.reason };
  }

  /** The browser hears the phone in `codec`, and the phone gets the browser's audio as `pt`. */
  async function audioFlows(phone: RtpPhone, codec: CodecName, pt: number) {
    await expect
      .poll(
        async () => {
          const s = await bob.stats();
          return s && s.packetsReceived > 25 ? s.codec : null;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe(codec === "opus" ? "audio/opus" : `audio/${codec}`);
    await expect.poll(() => phone.receivedOf(pt), { timeout: 15_000, interval: 200 }).toBeGreaterThan(25);
    // Nothing but the one codec reaches the phone (no transcoding, no other payload type).
    expect(phone.payloadTypes()).toEqual([pt]);
  }

  async function registered(user: string): Promise<boolean> {
    const aor = encodeURIComponent(`sip:${user}@${DOMAIN}`);
    return (await get<{ data: unknown[] }>(`/v1/registrations?aor=${aor}`)).data.length > 0;
  }

  /** After a failed case too: no call left in the browser, no SIPp left running. */
  async function cleanUp(phone: RtpPhone, sipp: SippProcess | undefined) {
    phone.close();
    await bob.hangup().catch(() => {});
    if (sipp && sipp.child.exitCode === null) sipp.child.kill();
    await sipp?.exited.catch(() => {});
  }

  // SIPp's media ports: a range of this file's own, below Linux's ephemeral ports (32768+), so that
  // neither another test's SIPp nor a socket the OS handed out can hold them.
  const sippArgs = () => ["-mp", String(10000 + 2 * Math.floor(Math.random() * 1000)), "-i", "127.0.0.1"];

  describe("the browser calls a phone that answers with its own codecs", () => {
    async function deskAnswering(c: Case, phone: RtpPhone): Promise<SippProcess> {
      const sipp = startSipp({
        scenario: "register-wait.xml",
        oocScenario: "uas-codec.xml",
        target: `127.0.0.1:${stack.h.ports.sip}`,
        transport: "u1",
        service: "desk",
        auth: { user: "desk", password: "desk-secret" },
        vars: { domain: DOMAIN, pts: c.pts, rtpport: String(phone.port), rtpmap: c.rtpmap },
        timeoutS: 40,
        traceMessages: true,
        extraArgs: ["-nd", ...sippArgs()],
      });
      await expect.poll(() => registered("desk"), { timeout: 15_000 }).toBe(true);
      return sipp;
    }

    it.each<[string, Case]>([
      ...ONE_EACH,
      ["G722, PCMU (the answer's first)", { pts: "9 0", rtpmap: PTIME, carried: { codec: "G722", pt: 9 } }],
      ["G729 only: 488", { pts: "18", rtpmap: PTIME, carried: "488" }],
    ])("phone answers %s", async (_name, c) => {
      const phone = await rtpPhone();
      let sipp: SippProcess | undefined;
      try {
        sipp = await deskAnswering(c, phone);
        await bob.call(`sip:desk@${DOMAIN}`);
        const id = await newCall();
        // The phone is offered what the browser offered and the gateway relays, in the browser's numbers.
        const toPhone = await sdpSent(id, "RTP/AVP");
        expect(toPhone.pts).toEqual([111, 9, 0, 8]);
        if (c.carried === "488") {
          const { warning, reason } = await refusal(id);
          const text =
            "no common codec: caller offered opus/48000/2, G722/8000, PCMU/8000, PCMA/8000; callee answered G729/8000";
          expect(warning).toBe(`305 hookline "${text}"`);
          expect(reason).toBe(text);
          // The phone's dialog is confirmed and ended at once: ACK, then BYE from the gateway.
          const result = await sipp.exited;
          expect(result.messages).toMatch(/^ACK sip:/m);
          expect(result.messages).toMatch(/^BYE sip:/m);
          expect(result.code).toBe(0);
          return;
        }
        phone.start(toPhone.port, c.carried.codec, c.carried.pt);
        await audioFlows(phone, c.carried.codec, c.carried.pt);
        // The browser's answer names only the codec the phone chose, in the browser's own number.
        const toBrowser = await sdpSent(id, "UDP/TLS/RTP/SAVPF");
        expect(toBrowser.pts).toEqual([c.carried.codec === "opus" ? 111 : c.carried.pt]);
        await bob.hangup();
        const result = await sipp.exited;
        if (result.code !== 0) console.log(result.errors, result.stderr);
        expect(result.code).toBe(0);
      } finally {
        await cleanUp(phone, sipp);
      }
    });
  });

  describe("a phone offering only its own codecs calls the browser", () => {
    it.each<[string, Case]>([
      ...ONE_EACH,
      [
        "PCMU, PCMA, G722 (the offer's first)",
        { pts: "0 8 9", rtpmap: PTIME, carried: { codec: "PCMU", pt: 0 } },
      ],
      ["G729 only: 488 before the browser rings", { pts: "18", rtpmap: PTIME, carried: "488" }],
    ])("phone offers %s", async (_name, c) => {
      const phone = await rtpPhone();
      const endedBefore = (await bob.state()).ended;
      let sipp: SippProcess | undefined;
      try {
        sipp = startSipp({
          scenario: "uac-codec.xml",
          target: `127.0.0.1:${stack.h.ports.sip}`,
          transport: "u1",
          service: "bob",
          auth: { user: "sipp", password: "sipp-secret" },
          vars: { domain: DOMAIN, caller: "sipp", pts: c.pts, rtpport: String(phone.port), rtpmap: c.rtpmap },
          timeoutS: 40,
          traceMessages: true,
          extraArgs: sippArgs(),
        });
        if (c.carried === "488") {
          const result = await sipp.exited;
          expect(result.code).toBe(0);
          const text =
            "no common codec: caller offered G729/8000; the gateway relays opus/48000/2, PCMU/8000, PCMA/8000, G722/8000 (no transcoding)";
          expect(result.messages).toContain("SIP/2.0 488 Not Acceptable Here");
          expect(result.messages).toContain(`Warning: 305 hookline "${text}"`);
          const id = await newCall();
          expect(await refusal(id)).toEqual({ warning: `305 hookline "${text}"`, reason: text });
          // Nobody rang: the browser never saw the call.
          expect(await bob.state()).toMatchObject({ incoming: false, ended: endedBefore });
          return;
        }
        await expect.poll(async () => (await bob.state()).incoming, { timeout: 15_000 }).toBe(true);
        const id = await newCall();
        // The browser is offered the phone's one codec (its first where it offered several).
        const toBrowser = await sdpSent(id, "UDP/TLS/RTP/SAVPF");
        expect(toBrowser.pts).toEqual([c.carried.pt]);
        await bob.answer();
        const toPhone = await sdpSent(id, "RTP/AVP");
        expect(toPhone.pts).toEqual([c.carried.pt]);
        phone.start(toPhone.port, c.carried.codec, c.carried.pt);
        await audioFlows(phone, c.carried.codec, c.carried.pt);
        await bob.hangup();
        const result = await sipp.exited;
        if (result.code !== 0) console.log(result.errors, result.stderr);
        expect(result.code).toBe(0);
      } finally {
        await cleanUp(phone, sipp);
      }
    });
  });

  it("leaves no router or transport behind", async () => {
    await expect.poll(() => mediaCensus(), { timeout: 10_000 }).toMatchObject({ routers: 0, transports: 0 });
  });
});

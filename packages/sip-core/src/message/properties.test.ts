/** fast-check properties (house style, after undici's fuzzing tests). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headerKey } from "../headers/header-names.js";
import { getCSeq, getFrom, getTopVia } from "../headers/typed.js";
import { parseUri, serializeUri, type SipUri } from "../uri/uri.js";
import { StreamFramer } from "./framer.js";
import { parseMessage } from "./parse.js";
import { serializeMessage, serializeMessageToString } from "./serialize.js";
import type { SipHeader, SipMessage } from "./types.js";

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~".split("");
const token = fc
  .array(fc.constantFrom(...TOKEN_CHARS), { minLength: 1, maxLength: 12 })
  .map((a) => a.join(""));
const alnum = fc
  .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split("")), {
    minLength: 1,
    maxLength: 10,
  })
  .map((a) => a.join(""));
/** Header values: any non-control UTF-8 text without leading/trailing SP/HTAB. */
const value = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom(...' \t,;:"<>=@'.split("")),
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("é", "大", "\u{1F600}", "\u0000"),
    ),
    maxLength: 40,
  })
  .map((s) => s.replace(/[\r\n]/g, "").replace(/^[ \t]+|[ \t]+$/g, ""));

const host = fc.tuple(alnum, alnum).map(([a, b]) => `${a}.${b}.example`);

const coreHeaders = fc
  .record({ branch: alnum, tag: alnum, callId: alnum, seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }), host })
  .map(({ branch, tag, callId, seq, host: h }) => ({ branch, tag, callId, seq, h }));

const extra = fc.array(
  fc.tuple(token, value).map(([n, v]): SipHeader => ({ name: "X-" + n, key: headerKey("X-" + n), value: v })),
  { maxLength: 8 },
);

const message: fc.Arbitrary<SipMessage> = fc
  .tuple(
    fc.boolean(),
    token,
    fc.integer({ min: 100, max: 699 }),
    value,
    coreHeaders,
    extra,
    fc.uint8Array({ maxLength: 200 }),
  )
  .map(([isRequest, method, status, reason, c, x, body]) => {
    const m = isRequest ? method.toUpperCase() : "INVITE";
    const headers: SipHeader[] = [
      { name: "Via", key: "via", value: `SIP/2.0/UDP ${c.h};branch=z9hG4bK${c.branch}` },
      { name: "From", key: "from", value: `<sip:a@${c.h}>;tag=${c.tag}` },
      { name: "To", key: "to", value: `<sip:b@${c.h}>` },
      { name: "Call-ID", key: "call-id", value: c.callId },
      { name: "CSeq", key: "cseq", value: `${c.seq} ${m}` },
      ...x,
      { name: "Content-Length", key: "content-length", value: String(body.byteLength) },
    ];
    return isRequest
      ? { kind: "request" as const, method: m, uri: `sip:b@${c.h}`, headers, body }
      : { kind: "response" as const, status, reason, headers, body };
  });

describe("property: parse(serialize(m)) equals m", () => {
  it("for generated requests and responses", () => {
    fc.assert(
      fc.property(message, (m) => {
        const r = parseMessage(serializeMessage(m));
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
        expect(r.message).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });
  it("through the string form when the body is text", () => {
    fc.assert(
      fc.property(message, value, (m, text) => {
        const withText = { ...m, body: new Uint8Array(Buffer.from(text)) };
        withText.headers = m.headers.map((h) =>
          h.key === "content-length" ? { ...h, value: String(withText.body.byteLength) } : h,
        );
        const r = parseMessage(serializeMessageToString(withText));
        expect(r.ok && r.message).toEqual(withText);
      }),
      { numRuns: 200 },
    );
  });
  it("through a stream framer fed in random chunks", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (msgs, cuts) => {
          const wire = Buffer.concat(msgs.map((m) => serializeMessage(m)));
          const f = new StreamFramer();
          const got: SipMessage[] = [];
          let pos = 0;
          for (let i = 0; pos < wire.length; i++) {
            const n = cuts[i % cuts.length] ?? 1;
            for (const r of f.push(wire.subarray(pos, pos + n))) if (r.ok) got.push(r.message);
            pos += n;
          }
          expect(got).toEqual(msgs);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("property: hostile input gives a typed error or a message, never an exception", () => {
  const check = (input: Uint8Array | string): void => {
    const r = parseMessage(input);
    if (r.ok) {
      expect(["request", "response"]).toContain(r.message.kind);
      getTopVia(r.message);
      getFrom(r.message);
      getCSeq(r.message);
    } else {
      expect(r.error.code).toMatch(/^SIP_ERR_[A-Z_]+$/);
    }
  };
  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), check), { numRuns: 2000 });
  });
  it("random SIP-alphabet strings", () => {
    const sipish = fc.string({
      unit: fc.constantFrom(...'INVITE sip:@;,<>"\\/ \t\r\n:=?%0123SIP/2.0Via: v To:f=tag'.split("")),
      maxLength: 400,
    });
    fc.assert(fc.property(sipish, check), { numRuns: 2000 });
  });
  it("valid messages with random byte mutations", () => {
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (m, muts) => {
          const bytes = Buffer.from(serializeMessage(m));
          for (const [at, b] of muts) bytes[at % bytes.length] = b;
          check(bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });
  it("random chunks into a stream framer", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const f = new StreamFramer({ maxMessageSize: 4096 });
        for (const c of chunks)
          for (const r of f.push(c)) if (!r.ok) expect(r.error.code).toMatch(/^SIP_ERR_/);
      }),
      { numRuns: 500 },
    );
  });
});

describe("property: RFC 3261 §19.1.2 URI round trip", () => {
  const text = fc.string({ minLength: 1, maxLength: 12 });
  const sipUri: fc.Arbitrary<SipUri> = fc
    .record({
      scheme: fc.constantFrom("sip" as const, "sips" as const),
      user: fc.option(text, { nil: undefined }),
      password: fc.option(text, { nil: undefined }),
      host,
      port: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      params: fc.array(fc.tuple(alnum, fc.option(text, { nil: null })), { maxLength: 4 }),
      headers: fc.array(fc.tuple(alnum, text), { maxLength: 3 }),
    })
    .map((r) => ({
      kind: "sip" as const,
      scheme: r.scheme,
      user: r.user,
      password: r.user === undefined ? undefined : r.password,
      host: r.host,
      hostType: "name" as const,
      port: r.port,
      params: new Map(r.params),
      headers: r.headers,
    }));
  it("parseUri(serializeUri(u)) equals u", () => {
    fc.assert(
      fc.property(sipUri, (u) => {
        const r = parseUri(serializeUri(u));
        expect(r.ok && r.value).toEqual(u);
      }),
      { numRuns: 500 },
    );
  });
  it("random strings never throw", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => void parseUri("sip:" + s)),
      { numRuns: 2000 },
    );
  });
});
